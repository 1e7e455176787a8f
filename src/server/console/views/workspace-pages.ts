import { AUTH_TOKENS_PATH } from '../../../core/constants.ts';
import type { LicenseStatus } from '../../accounts/model.ts';
import { alert, confirmAction, csrfField, field, secret, snippet } from './components.ts';
import { daysLeft, day, plural, when } from './format.ts';
import { html, type Markup } from './html.ts';
import { page, type Viewer } from './layout.ts';
import { leakEventsSection, type LeakEventView } from './leak-events.ts';
import { issuedFile, offlineSection, type OfflineSectionView } from './offline-licenses.ts';

/** The member's developer token: its value when this session can unlock it, else only its mask. */
export interface TokenView { value?: string; mask: string }
interface Base { csrf: string; viewer: Viewer; error?: string; notice?: string }

const PLACEHOLDER = '<YOUR_AUTH_TOKEN>';

/** Why the value is not shown, and the way out; never a link to the page it is on. */
const unknownToken = (onTokensPage: boolean) => html`<p class="hint">This console never saw your token's value: your administrator issued it, or it was rotated outside the console, and it has been used, so it was kept. Use the value you were given. If you have none, ${
  onTokensPage ? 'rotate it below' : html`rotate it on <a href=${AUTH_TOKENS_PATH}>Auth Tokens</a>`}: every place that uses the current value stops working.</p>`;

function tokenBlock(token: TokenView, onTokensPage = false): Markup {
  return token.value ? secret('auth-token', 'auth token', token.value, token.mask) : html`<p><code>${token.mask}</code></p>${unknownToken(onTokensPage)}`;
}

/**
 * A snippet with a placeholder where the token goes: a masked token copied from the page would be a broken one. Its
 * copy button copies it with the real token when this session can unlock it.
 */
function usage(id: string, label: string, template: (token: string) => string, token: TokenView): Markup {
  return html`
    <div class="snippet">
      <pre><code>${template(PLACEHOLDER)}</code></pre>
      ${token.value && html`<code id=${id} hidden>${template(token.value)}</code>`}
      ${token.value && html`<button type="button" class="copy" data-copy=${id} hidden>Copy ${label} with your token</button>`}
    </div>`;
}

/** This server's address and keys in the snippets: copied from a self-hosted console they activate against it. */
export interface ServerView { apiEndpoint: string; jwksUrl: string }

export const gettingStartedPage = (input: Base & { token: TokenView; server: ServerView; trialDaysLeft: number | null }) => {
  const { apiEndpoint, jwksUrl } = input.server;
  const keysFile = 'localstack-keys.json';
  return page({
    title: 'Getting Started', csrf: input.csrf, viewer: input.viewer, path: '/getting-started',
    body: html`
    ${alert('success', input.notice)}
    ${input.trialDaysLeft !== null && alert('info', `${input.viewer.workspace} is on a trial: ${plural(input.trialDaysLeft, 'day')} left. Every member is covered until it ends.`)}
    <section aria-labelledby="token-h">
      <h2 id="token-h">Your auth token</h2>
      <p>It activates LocalStack Pro for you in <strong>${input.viewer.workspace}</strong>. Keep it out of source control; if it leaks, rotate it on <a href=${AUTH_TOKENS_PATH}>Auth Tokens</a>.</p>
      ${tokenBlock(input.token)}
    </section>
    <section aria-labelledby="server-h">
      <h2 id="server-h">This license server</h2>
      <p>LocalStack activates against <code>${apiEndpoint}</code> and trusts only licenses signed by its keys. Fetch the keys once, beside your project:</p>
      ${snippet('use-keys', 'keys command', `curl -fsSo ${keysFile} ${jwksUrl}`)}
    </section>
    <section aria-labelledby="cli-h">
      <h2 id="cli-h">Start LocalStack with the CLI</h2>
      ${usage('use-cli', 'CLI commands', (t) => `export LOCALSTACK_AUTH_TOKEN="${t}"\nexport API_ENDPOINT=${apiEndpoint}\nexport LICENSE_TRUSTED_KEYS="$PWD/${keysFile}"\nlocalstack start`, input.token)}
      <p>Or store the token once for the CLI:</p>
      ${usage('use-set-token', 'set-token command', (t) => `localstack auth set-token ${t}`, input.token)}
    </section>
    <section aria-labelledby="docker-h">
      <h2 id="docker-h">Start LocalStack with Docker</h2>
      <p>With <code>LOCALSTACK_AUTH_TOKEN</code> exported as above:</p>
      ${snippet('use-docker', 'docker run command', `docker run \\\n  --rm -it \\\n  -p 4566:4566 \\\n  -p 4510-4559:4510-4559 \\\n  -e LOCALSTACK_AUTH_TOKEN=\${LOCALSTACK_AUTH_TOKEN:- } \\\n  -e API_ENDPOINT=${apiEndpoint} \\\n  -e LICENSE_TRUSTED_KEYS=/etc/localstack/${keysFile} \\\n  -v "$PWD/${keysFile}:/etc/localstack/${keysFile}:ro" \\\n  localstack/localstack-pro`)}
    </section>
    <section aria-labelledby="compose-h">
      <h2 id="compose-h">Start LocalStack with Docker Compose</h2>
      <p>In <code>docker-compose.yml</code>, the token comes from your shell, never from the file:</p>
      ${snippet('use-compose', 'compose snippet', `environment:\n  - LOCALSTACK_AUTH_TOKEN=\${LOCALSTACK_AUTH_TOKEN- }\n  - API_ENDPOINT=${apiEndpoint}\n  - LICENSE_TRUSTED_KEYS=/etc/localstack/${keysFile}\nvolumes:\n  - ./${keysFile}:/etc/localstack/${keysFile}:ro`)}
    </section>
    <section aria-labelledby="ci-h">
      <h2 id="ci-h">Running in CI?</h2>
      <p>A developer auth token is refused in CI. Use a <a href=${`${AUTH_TOKENS_PATH}#ci-tokens`}>CI auth token</a> (<code>lsci-…</code>), kept in your CI system's secret store.</p>
    </section>`,
  });
};

export interface CiTokenView { id: string; name: string; mask: string; createdAt: string; lastUsed: string | null }

export const authTokensPage = (input: Base & {
  token: TokenView;
  /** A value shown once, right after it was made. */
  fresh?: { label: string; value: string };
  ci: { allowed: true; tokens: CiTokenView[] } | { allowed: false; why: string };
  /** Credentials of this viewer (and, for CI managers, CI tokens) revoked because they were found in public. */
  leaks?: LeakEventView[];
  /** The trusted CI identities' section (ci-trusts-section.ts), for those who may manage CI. */
  trusts?: Markup;
}) => page({
  title: 'Auth Tokens', csrf: input.csrf, viewer: input.viewer, path: AUTH_TOKENS_PATH,
  body: html`
    ${alert('error', input.error)}${alert('success', input.notice)}
    ${input.fresh && html`
      <div class="alert success fresh" role="status">
        <p><strong>${input.fresh.label}</strong>: copy it now, this page will not show it again.</p>
        <div class="snippet"><pre><code id="fresh-value">${input.fresh.value}</code></pre>
          <button type="button" class="copy" data-copy="fresh-value" hidden>Copy new token</button></div>
      </div>`}
    ${leakEventsSection(input.leaks ?? [])}
    <section aria-labelledby="dev-h">
      <h2 id="dev-h">Developer auth token</h2>
      <p>Yours alone, in this workspace. It cannot be deleted; rotate it if it may have leaked.</p>
      ${tokenBlock(input.token, true)}
      ${confirmAction({
        open: 'Rotate my auth token…', csrf: input.csrf, action: '/workspace/auth-tokens/rotate', button: 'Rotate now', danger: true,
        warning: 'The old value stops working at once: every machine, container and pipeline that uses it fails to activate until it gets the new value.',
      })}
    </section>
    <section aria-labelledby="ci-tokens">
      <h2 id="ci-tokens">CI auth tokens</h2>
      <p>They belong to the workspace, not to a person, and are the only tokens accepted in CI.</p>
      ${input.ci.allowed ? ciControls(input.csrf, input.ci.tokens) : alert('info', input.ci.why)}
    </section>
    ${input.trusts}`,
});

function ciControls(csrf: string, tokens: CiTokenView[]): Markup {
  return html`
    ${tokens.length === 0 ? html`<p>No CI tokens yet.</p>` : html`
      <div class="table-wrap"><table class="stack">
        <caption class="sr">CI auth tokens of this workspace</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>
          ${tokens.map((t) => html`
            <tr>
              <th scope="row">${t.name}</th>
              <td data-label="Token"><code>${t.mask}</code></td>
              <td data-label="Created">${when(t.createdAt)}</td>
              <td data-label="Last used">${t.lastUsed ? when(t.lastUsed) : 'never'}</td>
              <td class="actions">
                ${confirmAction({ open: `Rotate ${t.name}…`, csrf, action: `/workspace/ci-tokens/${encodeURIComponent(t.id)}/rotate`, button: `Rotate ${t.name} now`, danger: true,
                  warning: `The old value of ${t.name} stops working at once; update the pipelines that use it.` })}
                ${confirmAction({ open: `Delete ${t.name}…`, csrf, action: `/workspace/ci-tokens/${encodeURIComponent(t.id)}/delete`, button: `Delete ${t.name} now`, danger: true,
                  warning: `${t.name} stops working at once and cannot be restored.` })}
              </td>
            </tr>`)}
        </tbody>
      </table></div>`}
    <h3>Create a CI token</h3>
    <p class="hint">Name it for where it is used, e.g. github-actions. Its value is shown once.</p>
    <form method="post" action="/workspace/ci-tokens" class="inline-form">
      ${csrfField(csrf)}
      ${field({ id: 'ci-name', label: 'Name', name: 'name', autocomplete: 'off' })}
      <button type="submit" class="primary">Create CI token</button>
    </form>`;
}

export interface MemberView { id: string; email: string; role: string; licensed: boolean; lastActivation: string | null; self: boolean }

export const membersPage = (input: Base & {
  manage: boolean;
  seats: { used: number; bought: number | null; trial: boolean; offline?: number };
  members: MemberView[];
  invitation?: { email: string; link: string };
  offline?: OfflineSectionView;
  issued?: { name: string; file: string };
}) => page({
  title: 'Users & Licenses', csrf: input.csrf, viewer: input.viewer, path: '/workspace/members',
  body: html`
    ${alert('error', input.error)}${alert('success', input.notice)}
    ${input.invitation && html`
      <div class="alert success fresh" role="status">
        <p>Send this one-time link to <strong>${input.invitation.email}</strong>; it lets them choose a password, and it is shown only now.</p>
        <div class="snippet"><pre><code id="invitation-link">${input.invitation.link}</code></pre>
          <button type="button" class="copy" data-copy="invitation-link" hidden>Copy invitation link</button></div>
      </div>`}
    ${issuedFile(input.issued)}
    <p class="seats" id="seats">${seatLine(input.seats)}</p>
    ${!input.manage && alert('info', `Your role (${input.viewer.role}) can see the members but not change them; ask a workspace admin or owner.`)}
    <div class="table-wrap"><table class="stack">
      <caption class="sr">Members of this workspace</caption>
      <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Seat</th><th scope="col">Last activation</th></tr></thead>
      <tbody>${input.members.map((m) => memberRow(m, input.manage, input.csrf, input.viewer.role === 'owner', input.seats.trial))}</tbody>
    </table></div>
    ${input.manage && html`
      <section aria-labelledby="invite-h">
        <h2 id="invite-h">Invite a member</h2>
        <form method="post" action="/workspace/members" class="inline-form">
          ${csrfField(input.csrf)}
          ${field({ id: 'invite-email', label: 'Email', name: 'email', type: 'email', autocomplete: 'off' })}
          <div class="field compact"><label for="invite-role">Role</label>
            <select id="invite-role" name="role">${roleOptions('member', input.viewer.role === 'owner')}</select></div>
          <button type="submit" class="primary">Invite member</button>
        </form>
      </section>`}
    ${input.offline && offlineSection({ view: input.offline, manage: input.manage, csrf: input.csrf, bought: input.seats.bought, trial: input.seats.trial })}`,
});

function seatLine(s: { used: number; bought: number | null; trial: boolean; offline?: number }): string {
  if (s.trial) return 'Trial: every member is covered, no seat to assign.';
  const offline = s.offline ?? 0;
  const used = s.used + offline;
  const split = offline ? ` (${s.used} to members, ${offline} to offline licenses while they are valid)` : '';
  if (s.bought === null) return `${plural(used, 'seat')} assigned${split}; this license has no seat limit.`;
  return `${used} of ${plural(s.bought, 'seat')} assigned${split}${used >= s.bought ? ' — none left' : ''}.`;
}

const roleOptions = (current: string, owner: boolean) =>
  (owner ? ['member', 'admin', 'owner'] : ['member', 'admin']).map((r) => html`<option value=${r} selected=${r === current}>${r}</option>`);

function memberRow(m: MemberView, manage: boolean, csrf: string, owner: boolean, trial: boolean): Markup {
  const base = `/workspace/members/${encodeURIComponent(m.id)}`;
  return html`
    <tr>
      <th scope="row">${m.email}${m.self && html` <span class="tag">you</span>`}</th>
      <td data-label="Role">${manage && !m.self && (owner || m.role !== 'owner') ? html`
        <form method="post" action=${`${base}/role`} class="row-form">
          ${csrfField(csrf)}
          <label class="sr" for=${`role-${m.id}`}>Role of ${m.email}</label>
          <select id=${`role-${m.id}`} name="role">${roleOptions(m.role, owner)}</select>
          <button type="submit">Change role</button>
        </form>` : m.role}</td>
      <td data-label="Seat">${trial ? 'Trial' : m.licensed ? 'Assigned' : 'None'}${manage && !trial && html`
        <form method="post" action=${`${base}/seat`} class="row-form">
          ${csrfField(csrf)}
          <input type="hidden" name="licensed" value=${m.licensed ? 'false' : 'true'} />
          <button type="submit" aria-label=${`${m.licensed ? 'Free the seat of' : 'Assign a seat to'} ${m.email}`}>${m.licensed ? 'Free seat' : 'Assign seat'}</button>
        </form>`}</td>
      <td data-label="Last activation">${when(m.lastActivation)}</td>
    </tr>`;
}

export interface LicenseView {
  plan: string; type: string; status: LicenseStatus; startsAt: string; expiresAt: string;
  /** Why this member is or is not covered. */
  seat: 'held' | 'none' | 'trial';
}
export interface ActivationView { at: string; ci: boolean; version: string | null }

export const myLicensePage = (input: Base & { license: LicenseView; now: Date; activations: ActivationView[]; pipelines?: Markup }) => {
  const l = input.license;
  const trialLeft = l.type === 'trial' ? daysLeft(l.expiresAt, input.now) : null;
  return page({
    title: 'My License', csrf: input.csrf, viewer: input.viewer, path: '/workspace/my-license',
    body: html`
      ${l.status === 'EXPIRED' && alert('error', `The license of ${input.viewer.workspace} ended on ${day(l.expiresAt)}, so LocalStack Pro no longer activates. Ask a workspace owner to renew it.`)}
      ${l.status === 'PENDING' && alert('info', `The license of ${input.viewer.workspace} starts on ${day(l.startsAt)}; LocalStack Pro activates from then on.`)}
      ${l.seat === 'none' && alert('error', html`You hold no seat in ${input.viewer.workspace}, so LocalStack Pro does not activate for you. Ask a workspace admin to assign you one on <a href="/workspace/members">Users & Licenses</a>.`)}
      <dl class="facts card">
        ${l.type === 'trial' ? html`<dt>License</dt><dd>Trial, every Pro feature</dd>` : html`<dt>Plan</dt><dd>${l.plan}</dd><dt>Type</dt><dd>${l.type}</dd>`}
        <dt>Status</dt><dd><span class=${`status ${l.status.toLowerCase()}`}>${l.status}</span></dd>
        <dt>Starts</dt><dd>${day(l.startsAt)}</dd>
        <dt>Ends</dt><dd>${l.expiresAt.startsWith('9999') ? 'no end date' : day(l.expiresAt)}</dd>
        ${trialLeft !== null && html`<dt>Trial</dt><dd id="trial-left">${plural(trialLeft, 'day')} left</dd>`}
        <dt>Your seat</dt><dd>${l.seat === 'held' ? 'You hold a seat' : l.seat === 'trial' ? 'Covered by the trial' : 'No seat'}</dd>
      </dl>
      <section aria-labelledby="act-h">
        <h2 id="act-h">Your recent activations</h2>
        ${input.activations.length === 0 ? html`<p>None yet: start LocalStack with your auth token (see <a href="/getting-started">Getting Started</a>).</p>` : html`
          <div class="table-wrap"><table>
            <caption class="sr">Your recent activations</caption>
            <thead><tr><th scope="col">Time</th><th scope="col">CI</th><th scope="col">Version</th></tr></thead>
            <tbody>${input.activations.map((a) => html`<tr><td>${when(a.at)}</td><td>${a.ci ? 'CI' : 'not CI'}</td><td>${a.version ?? '—'}</td></tr>`)}</tbody>
          </table></div>`}
      </section>
      ${input.pipelines}`,
  });
};
