// The in-process HTTP suites (routes, errors, signing keys under concurrent rotation) run again on a real
// PostgreSQL: the same answers on both backends.
import { test } from 'node:test';
import { postgresMissing } from '../../../helpers/postgres.ts';

const missing = postgresMissing();
if (missing && process.env.CI !== 'true') {
  test('the HTTP suites on PostgreSQL', (t) => t.skip(missing));
} else {
  process.env.TEST_STORE = 'postgres';
  await import('../../http/app.test.ts');
  await import('../../http/http-errors.test.ts');
  await import('../../signing/keys.test.ts');
}
