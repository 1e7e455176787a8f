import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderBanner, renderSuccess } from '../../src/entrypoint/banner.ts';
import { renderLog } from '../../src/entrypoint/log.ts';
import { knownReasonCodes, reasonText } from '../../src/entrypoint/reasons.ts';
import { ROOT } from '../helpers/paths.ts';

/** The banner as the contract prints it, read from DESIGN.md itself when it is beside the repo. */
function contractBanner(): string {
  const design = readFileSync(join(ROOT, '../shared/DESIGN.md'), 'utf8');
  const start = design.indexOf('    ===============================================');
  const end = design.indexOf('With `LOG_FORMAT=json`');
  return design.slice(start, end).trimEnd().split('\n').map((l) => l.replace(/^ {4}/, '')).join('\n');
}

const EXPECTED = `===============================================
License activation failed! 🔑❌

Reason: <reason>

Due to this error, Localstack has quit. LocalStack pro features can only be used with a valid license.

- Please check that your credentials are set up correctly and that you have an active license.
  You can find your credentials in our webapp at https://app.localstack.cloud.
- If you want to continue using LocalStack without pro features you can set \`ACTIVATE_PRO=0\`.`;

test('the banner is the contract text exactly', () => {
  assert.equal(renderBanner('<reason>', { activatePro: true }), EXPECTED);
  let fromDesign: string | undefined;
  try {
    fromDesign = contractBanner();
  } catch {
    fromDesign = undefined; // shared/ is not beside every checkout
  }
  if (fromDesign) assert.equal(renderBanner('<reason>', { activatePro: true }), fromDesign);
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

test('every reason names a fix and keeps its detail', () => {
  for (const code of knownReasonCodes()) {
    const text = reasonText({ code, detail: 'DETAIL-X' });
    assert.ok(text.length > 40, code);
    assert.match(text, /(Set|set|Use|Ask|Check|Copy|Renew|Switch|keep only|add|check|Remove|Give|Mount)/, `${code}: ${text}`);
  }
  assert.ok(reasonText({ code: 'offline.unavailable', detail: 'ECONNREFUSED; x: expired' }).includes('ECONNREFUSED; x: expired'));
});

test('json log lines are one object each', () => {
  const line = renderLog('error', 'License activation failed', { format: 'json', color: false }, new Date(0), { code: 'c', reason: 'r', banner: 'a\nb' });
  assert.ok(!line.includes('\n'));
  assert.deepEqual(JSON.parse(line), { time: '1970-01-01T00:00:00.000Z', level: 'error', message: 'License activation failed', code: 'c', reason: 'r', banner: 'a\nb' });
});
