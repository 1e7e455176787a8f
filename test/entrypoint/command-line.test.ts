import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandLine, isHelpRequest } from '../../src/entrypoint/command-line.ts';

test('a first argument starting with - goes to the default command (section 10)', () => {
  assert.deepEqual(commandLine(['--help']), ['pro-emulator', '--help']);
  assert.deepEqual(commandLine(['-x', 'y']), ['pro-emulator', '-x', 'y']);
  assert.deepEqual(commandLine(['sh', '-c', 'true']), ['sh', '-c', 'true']);
});

test('help and version requests are recognised; other arguments are not', () => {
  for (const flag of ['--help', '-h', '--version', '-V']) assert.ok(isHelpRequest(['pro-emulator', flag]), flag);
  assert.ok(!isHelpRequest(['pro-emulator']));
  assert.ok(!isHelpRequest(['sh', '-c', 'echo --help']));
});
