import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf } from '../../src/entrypoint/supervisor.ts';

test('exit codes are mirrored the way a shell reports them', () => {
  assert.equal(exitCodeOf({ exitCode: 0 }), 0);
  assert.equal(exitCodeOf({ exitCode: 42 }), 42);
  assert.equal(exitCodeOf({ signal: 'SIGTERM' }), 143);
  assert.equal(exitCodeOf({ signal: 'SIGKILL' }), 137);
  assert.equal(exitCodeOf({ signal: 'SIGINT', exitCode: undefined }), 130);
  assert.equal(exitCodeOf({ code: 'ENOENT' }), 127);
  assert.equal(exitCodeOf({ code: 'EACCES' }), 126);
  assert.equal(exitCodeOf({ code: 'EISDIR' }), 126);
});
