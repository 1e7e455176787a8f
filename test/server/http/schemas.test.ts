import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from 'typebox/value';
import { activationBody } from '../../../src/core/activation-body.ts';
import { ActivateBody } from '../../../src/server/http/schemas.ts';

test('the body the client builds passes the server schema, and one with fields a newer client adds; one of another product or with a wrong type does not', () => {
  for (const ci of [{ isCI: false, name: null }, { isCI: true, name: 'GitHub Actions' }]) {
    const body = activationBody(ci, 'a'.repeat(64));
    assert.ok(Value.Check(ActivateBody, body), JSON.stringify(body));
    assert.ok(Value.Check(ActivateBody, JSON.parse(JSON.stringify(body))));
  }
  const { ciProvider: _c, machineId: _m, ...minimal } = activationBody({ isCI: false, name: null }, 'm');
  assert.ok(Value.Check(ActivateBody, minimal), 'ciProvider and machineId may be left out');
  assert.equal(Value.Check(ActivateBody, { ...minimal, product: 'localstack' }), false);
  assert.ok(Value.Check(ActivateBody, { ...minimal, addedLater: 1 }), 'a newer entrypoint must still activate');
  assert.equal(Value.Check(ActivateBody, { ...minimal, ci: 'true' }), false);
});
