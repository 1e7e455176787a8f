import { createHash } from 'node:crypto';

/** The only script: copy buttons and the invitation code from the link's #fragment. Pages work without it. */
const SCRIPT = `'use strict';
(function () {
  var live = document.getElementById('live');
  function say(text) { if (live) { live.textContent = ''; setTimeout(function () { live.textContent = text; }, 30); } }
  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = 'Copied';
        say('Copied to the clipboard');
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () { say('Copying failed: select the text and copy it yourself'); });
    });
  });
  // A page that answers a form shows its own address: a reload asks nothing, and the address opens this page.
  var canonical = document.body.getAttribute('data-path');
  if (canonical && location.pathname !== canonical) history.replaceState(null, '', canonical);
  var form = document.getElementById('invitation');
  if (form && location.hash.length > 1) {
    var code = form.querySelector('input[name=code]');
    code.value = decodeURIComponent(location.hash.slice(1));
    code.closest('.field').hidden = true;
    history.replaceState(null, '', location.pathname);
  }
})();
`;

const STYLE = `
:root { --ink: #1d1b29; --muted: #5b5870; --line: #d9d6e6; --bg: #f6f5fb; --card: #fff; --brand: #4b2bd6; --brand-ink: #fff;
  --danger: #b3261e; --ok: #1b6e3a; --info: #2453a6; --focus: #ffb300; color-scheme: light;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--brand); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 6px 10px; z-index: 2; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; justify-content: space-between; padding: 12px 24px; background: var(--ink); color: #fff; }
.brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.1rem; } .brand span { font-weight: 400; opacity: .75; }
.who { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; font-size: .9rem; }
.who .ws { font-weight: 600; } .who .email { opacity: .8; } .who form { margin: 0; }
.who button.link { color: #fff; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 8px 24px 0; background: var(--card); border-bottom: 1px solid var(--line); }
nav a { display: block; padding: 8px 12px; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; }
nav a[aria-current=page] { color: var(--ink); border-color: var(--brand); font-weight: 600; }
main { max-width: 960px; margin: 0 auto; padding: 24px; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: 0 0 16px; } h2 { font-size: 1.2rem; margin: 32px 0 8px; } h3 { font-size: 1rem; margin: 20px 0 4px; }
section { margin-bottom: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px; }
.narrow { max-width: 420px; }
.field { margin: 0 0 14px; } .field label { display: block; font-weight: 600; margin-bottom: 4px; }
input, select, textarea { font: inherit; padding: 8px 10px; border: 1px solid #8c88a3; border-radius: 6px; background: #fff; color: var(--ink); }
.field input, .field textarea { width: 100%; }
.hint { color: var(--muted); font-size: .875rem; margin: 4px 0 0; }
button, .button { font: inherit; display: inline-block; padding: 8px 14px; border-radius: 6px; border: 1px solid #8c88a3; background: #fff; color: var(--ink); cursor: pointer; text-decoration: none; }
button.primary, .button.primary { background: var(--brand); border-color: var(--brand); color: var(--brand-ink); }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.link { background: none; border: 0; padding: 0; text-decoration: underline; }
.alert { border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; border: 1px solid; background: var(--card); }
.alert.error { border-color: var(--danger); color: var(--danger); } .alert.success { border-color: var(--ok); } .alert.info { border-color: var(--info); }
.alert p { margin: 0 0 8px; } .alert p:last-child { margin: 0; }
.leak-events { list-style: none; padding: 0; margin: 0; } .leak-events code { overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: .9rem; }
pre { background: var(--ink); color: #f3f1ff; padding: 12px 14px; border-radius: 8px; overflow-x: auto; margin: 0; }
.snippet { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; margin: 8px 0 12px; }
.snippet pre { width: 100%; }
.secret { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; margin: 8px 0; }
.secret details { flex: 1 1 280px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.secret summary { cursor: pointer; } .secret .mask { font-family: ui-monospace, Menlo, Consolas, monospace; }
.secret .reveal, .secret .hide { color: var(--brand); text-decoration: underline; margin-left: 8px; }
.secret .hide, .secret details[open] .mask, .secret details[open] .reveal { display: none; }
.secret details[open] .hide { display: inline; margin-left: 0; }
.secret .value { display: block; word-break: break-all; padding-top: 4px; }
details.confirm { margin: 12px 0; } details.confirm summary { list-style: none; } details.confirm summary::-webkit-details-marker { display: none; }
.confirm-body { border-left: 4px solid var(--danger); padding: 4px 0 4px 12px; margin-top: 8px; }
.confirm-body p { margin: 0 0 8px; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 10px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); font-weight: 600; }
tbody th { font-weight: 500; word-break: break-word; }
tr:last-child > * { border-bottom: 0; }
td.actions details.confirm { margin: 0 0 6px; }
.row-form { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.inline-form { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin-top: 12px; }
.inline-form .field { margin: 0; flex: 1 1 200px; }
.tag { font-size: .75rem; background: var(--bg); border: 1px solid var(--line); border-radius: 999px; padding: 0 8px; }
.seats { font-weight: 600; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 8px 24px; margin: 0; max-width: 560px; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; font-weight: 600; }
.status.active { color: var(--ok); } .status.expired { color: var(--danger); }
.live { position: absolute; left: -999px; }
@media (max-width: 600px) {
  .top, nav ul, main { padding-left: 14px; padding-right: 14px; }
  h1 { font-size: 1.35rem; }
  th, td { padding: 8px; }
  /* Wide tables become one card per row, each cell named by its column. */
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.stack tr:last-child { border-bottom: 0; }
  table.stack th, table.stack td { display: block; border: 0; padding: 4px 12px; }
  table.stack td[data-label]::before { content: attr(data-label); display: block; font-size: .8rem; color: var(--muted); }
}
.inline-form .field.compact { flex: 0 0 auto; }
`;

export interface Asset { body: string; type: string; etag: string }
const asset = (body: string, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });

/** Served by the console itself: no CDN, no external font. */
export const ASSETS: Record<string, Asset> = {
  'console.js': asset(SCRIPT, 'text/javascript; charset=utf-8'),
  'console.css': asset(STYLE, 'text/css; charset=utf-8'),
};
