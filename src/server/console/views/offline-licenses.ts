import { csrfField, field } from './components.ts';
import { day, plural, when } from './format.ts';
import { html, type Markup } from './html.ts';

export interface OfflineListEntry { id: string; name: string; seats: number; sha256: string; issuedBy: string; issuedAt: string; validUntil: string; valid: boolean }
export interface OfflineSectionView {
  list: OfflineListEntry[];
  /** Seats taken by the offline licenses still valid. */
  taken: number;
  available: boolean;
  licenseEnd: string;
  today: string;
}

/** The file, once: shown and offered for download from the page itself (the server keeps no copy). */
export function issuedFile(issued: { name: string; file: string } | undefined): Markup {
  if (!issued) return null;
  const href = `data:application/json;base64,${Buffer.from(issued.file).toString('base64')}`;
  return html`
    <div class="alert success fresh" role="status" id="offline-issued">
      <p>The offline license for <strong>${issued.name}</strong> is issued. Download it now: this page will not show it again, and the server keeps only its id and hash.</p>
      <p><a class="button primary" id="offline-download" href=${href} download="license.json">Download license.json</a></p>
      <p class="hint">On the installation, mount it read-only at <code>/etc/localstack/conf.d/license.json</code> (or point <code>LOCALSTACK_LICENSE_FILE</code> at it); no auth token and no network are needed.</p>
      <details><summary>Show the file</summary><pre><code id="offline-file">${issued.file}</code></pre></details>
    </div>`;
}

/** The section of Users & Licenses: what an offline license is, the audit list, and (for owners and admins) the form. */
export function offlineSection(input: { view: OfflineSectionView; manage: boolean; csrf: string; bought: number | null; trial: boolean }): Markup {
  const { view } = input;
  const seatWords = input.trial
    ? 'During the trial no seats are counted.'
    : `Each one takes the seats it stands for from this workspace's ${input.bought === null ? 'seats' : plural(input.bought, 'seat')} for as long as it is valid: members past the limit are refused a seat until it expires.`;
  return html`
    <section aria-labelledby="offline-h">
      <h2 id="offline-h">Offline licenses</h2>
      <p>For installations that can never reach the license server (air-gapped networks, ships, closed CI clusters): a signed file, verified with no network. ${seatWords}</p>
      <p id="offline-seats"><strong>${plural(view.taken, 'seat')}</strong> taken by offline licenses now.</p>
      ${view.list.length === 0 ? html`<p>No offline licenses issued yet.</p>` : html`
        <div class="table-wrap"><table class="stack" id="offline-list">
          <caption class="sr">Offline licenses of this workspace</caption>
          <thead><tr><th scope="col">Installation</th><th scope="col">Seats</th><th scope="col">Valid until</th><th scope="col">Issued</th><th scope="col">Id and SHA-256</th></tr></thead>
          <tbody>${view.list.map((l) => html`
            <tr>
              <th scope="row">${l.name}</th>
              <td data-label="Seats">${l.seats}</td>
              <td data-label="Valid until">${day(l.validUntil)} <span class=${`status ${l.valid ? 'active' : 'expired'}`}>${l.valid ? 'valid' : 'expired'}</span></td>
              <td data-label="Issued">${when(l.issuedAt)} by ${l.issuedBy}</td>
              <td data-label="Id and SHA-256"><code>${l.id}</code><br /><code title=${l.sha256}>${l.sha256.slice(0, 16)}…</code></td>
            </tr>`)}
          </tbody>
        </table></div>`}
      ${input.manage && view.available && html`
        <h3>Issue an offline license</h3>
        <div class="alert info" role="note" id="offline-revocation"><strong>Revocation is by expiry only.</strong> Once issued, the file works on any installation it is copied to until the day it ends, and nothing done here can stop it: choose the shortest period that serves.</div>
        <form method="post" action="/workspace/offline-licenses" class="inline-form">
          ${csrfField(input.csrf)}
          ${field({ id: 'offline-name', label: 'Installation name', name: 'name', autocomplete: 'off' })}
          ${field({ id: 'offline-seats-input', label: 'Seats', name: 'seats', type: 'number', value: '1' })}
          <div class="field"><label for="offline-until">Valid until (start of the day, UTC)</label>
            <input id="offline-until" name="validUntil" type="date" required min=${view.today} max=${view.licenseEnd.slice(0, 10)} aria-describedby="offline-until-hint" /></div>
          <button type="submit" class="primary">Issue offline license</button>
        </form>
        <p class="hint" id="offline-until-hint">Valid until: at the latest the end of this workspace's license (${view.licenseEnd.startsWith('9999') ? 'no end date' : day(view.licenseEnd)}). The seats are taken from the day it is issued.</p>`}
    </section>`;
}
