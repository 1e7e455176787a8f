import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBanner, renderSuccess } from '../../src/entrypoint/banner.ts';
import { renderLog } from '../../src/entrypoint/log.ts';
import { knownReasonCodes, reasonText } from '../../src/entrypoint/reasons.ts';

// Section 6's banner, copied verbatim from the contract.
const EXPECTED = `===============================================
License activation failed! 🔑❌

Reason: <reason>

Due to this error, Localstack has quit. LocalStack pro features can only be used with a valid license.

- Please check that your credentials are set up correctly and that you have an active license.
  You can find your credentials in our webapp at https://app.localstack.cloud.
- If you want to continue using LocalStack without pro features you can set \`ACTIVATE_PRO=0\`.`;

test('the banner is the contract text exactly', () => {
  assert.equal(renderBanner('<reason>', { activatePro: true }), EXPECTED);
});

test('with ACTIVATE_PRO=0 the paragraph changes and the ACTIVATE_PRO bullet goes', () => {
  const banner = renderBanner('R', { activatePro: false });
  assert.ok(banner.includes('Due to this error, LocalStack will start without pro features.'));
  assert.ok(!banner.includes('ACTIVATE_PRO=0'));
  assert.ok(!banner.includes('has quit'));
});

test('colour only when asked', () => {
  assert.ok(!renderBanner('R', { activatePro: true }).includes('\u001b['));
  assert.ok(renderBanner('R', { activatePro: true, color: true }).includes('\u001b[31m'));
});

test('success lines', () => {
  assert.equal(renderSuccess({ id: 'lic-1', type: 'trial' }), 'Successfully activated license lic-1:trial 🔑✅');
  assert.equal(renderSuccess({ id: 'lic-1', type: 'subscription' }, '/c/license.json'), 'Successfully activated cached license lic-1:subscription from /c/license.json 🔑✅');
});

const FIX_VERBS = /^(Set|Use|Ask|Check|Copy|Renew|Keep|Mount|Give|Try|Fix|Add|If a proxy intercepts TLS, add)\b/;

test('every reason is one sentence of cause and one of fix, ending with a full stop', () => {
  for (const code of knownReasonCodes()) {
    const text = reasonText({ code, detail: 'DETAIL-X' });
    assert.ok(text.endsWith('.') && !text.includes('..'), `${code}: ${text}`);
    const sentences = text.split(/\.\s+(?=[A-Z])/);
    assert.equal(sentences.length, 2, `${code}: ${text}`);
    assert.match(sentences[1]!, FIX_VERBS, `${code}: the second sentence is the fix: ${text}`);
  }
  assert.ok(reasonText({ code: 'offline.unavailable', detail: 'ECONNREFUSED; x: expired' }).includes('ECONNREFUSED; x: expired'));
});

test("a server's own advice is not said twice; the cause keeps its detail", () => {
  const downtime = reasonText({ code: 'legacy_key.downtime', detail: 'Legacy API keys are unavailable during a scheduled downtime until 2026-01-01T10:00:00.000Z. Switch to an auth token in LOCALSTACK_AUTH_TOKEN.' });
  assert.equal(downtime, 'Legacy API keys are unavailable during a scheduled downtime until 2026-01-01T10:00:00.000Z. Set LOCALSTACK_AUTH_TOKEN to your auth token (https://app.localstack.cloud/workspace/auth-tokens) instead of LOCALSTACK_API_KEY.');
  const notFound = reasonText({ code: 'license.not_found', detail: 'No license is assigned to dev@acme.test in workspace Acme. Ask a workspace admin to assign one.' });
  assert.equal(notFound, 'No license is assigned to dev@acme.test in workspace Acme. Ask a workspace admin to assign you a license on the Users & Licenses page (https://app.localstack.cloud/workspace/members).');
  assert.ok(!/trial/i.test(notFound), 'no trial is suggested to a member of a paid workspace');
  const conflict = reasonText({ code: 'credentials.conflict', detail: 'both LOCALSTACK_AUTH_TOKEN and LOCALSTACK_AUTH_TOKEN_FILE are set' });
  assert.equal(conflict, 'Conflicting credentials: both LOCALSTACK_AUTH_TOKEN and LOCALSTACK_AUTH_TOKEN_FILE are set. Keep exactly one of them (LOCALSTACK_AUTH_TOKEN is preferred).');
  assert.equal(reasonText({ code: 'some.new_code', detail: 'something happened' }), 'Something happened (some.new_code).');
});

test('json log lines are one object each', () => {
  const line = renderLog('error', 'License activation failed', { format: 'json', color: false }, new Date(0), { code: 'c', reason: 'r', banner: 'a\nb' });
  assert.ok(!line.includes('\n'));
  assert.deepEqual(JSON.parse(line), { time: '1970-01-01T00:00:00.000Z', level: 'error', message: 'License activation failed', code: 'c', reason: 'r', banner: 'a\nb' });
});
