import { WEBAPP_URL } from '../core/constants.ts';
import { outsideText, printable } from '../core/redact.ts';

const RULE = '===============================================';
const RED = '\u001b[31m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** The failure banner of section 6, exactly; colour only when asked (a TTY without NO_COLOR). */
export function renderBanner(reason: string, options: { activatePro: boolean; color?: boolean }): string {
  const paint = (s: string, code: string) => (options.color ? `${code}${s}${RESET}` : s);
  const lines = [
    RULE,
    paint('License activation failed! 🔑❌', BOLD + RED),
    '',
    `Reason: ${printable(reason)}`,
    '',
    options.activatePro
      ? 'Due to this error, Localstack has quit. LocalStack pro features can only be used with a valid license.'
      : 'Due to this error, LocalStack will start without pro features.',
    '',
    '- Please check that your credentials are set up correctly and that you have an active license.',
    `  You can find your credentials in our webapp at ${WEBAPP_URL}.`,
  ];
  if (options.activatePro) lines.push('- If you want to continue using LocalStack without pro features you can set `ACTIVATE_PRO=0`.');
  return lines.join('\n');
}

/** `lic.id` and `lic.type` come from a signed payload, still outside text: no escape sequence reaches the terminal. */
export function renderSuccess(license: { id: string; type: string }, from?: string): string {
  const lic = { id: outsideText(license.id, [], 80), type: outsideText(license.type, [], 40) };
  return from
    ? `Successfully activated cached license ${lic.id}:${lic.type} from ${from} 🔑✅`
    : `Successfully activated license ${lic.id}:${lic.type} 🔑✅`;
}
