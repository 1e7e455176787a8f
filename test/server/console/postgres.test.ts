// The console's in-process suites run again on a real PostgreSQL: the same pages and answers on both backends.
import { test } from 'node:test';
import { postgresMissing } from '../../helpers/postgres.ts';

const missing = postgresMissing();
if (missing && process.env.CI !== 'true') {
  test('the console suites on PostgreSQL', (t) => t.skip(missing));
} else {
  process.env.TEST_STORE = 'postgres';
  await import('./store.test.ts');
  await import('./pages.test.ts');
}
