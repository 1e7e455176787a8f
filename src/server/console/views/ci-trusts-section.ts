// The Auth Tokens page's section of trusted CI identities (OIDC), and My License's list of pipeline activations.
import type { CiTrustView } from '../../accounts/ci-trusts.ts';
import { confirmAction, csrfField, field } from './components.ts';
import { when } from './format.ts';
import { html, type Markup } from './html.ts';

export interface PipelineActivationView { at: string; trust: string; repository: string | null; ref: string | null; run: string | null }

const conditionsText = (c: Record<string, string>) => Object.entries(c).map(([k, v]) => `${k} = ${v}`).join(', ');

/** Listed, added and deleted by those who may manage CI tokens; `form` refills the form after a refusal. */
export function ciTrustsSection(input: { csrf: string; trusts: CiTrustView[]; issuers: string[]; form?: { name: string; issuer: string; conditions: string } }): Markup {
  const { csrf, trusts } = input;
  return html`
    <section aria-labelledby="ci-trusts">
      <h2 id="ci-trusts">Trusted CI identities (no stored secret)</h2>
      <p>A pipeline whose CI ID token (OpenID Connect) matches every condition of one of these activates as this workspace's CI,
        with nothing stored in the CI system: in GitHub Actions give the job <code>permissions: id-token: write</code>.</p>
      ${trusts.length === 0 ? html`<p>No trusted CI identities yet.</p>` : html`
        <div class="table-wrap"><table class="stack">
          <caption class="sr">Trusted CI identities of this workspace</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Issuer</th><th scope="col">Conditions</th><th scope="col">Created</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            ${trusts.map((t) => html`
              <tr>
                <th scope="row">${t.name}</th>
                <td data-label="Issuer"><code>${t.issuer}</code></td>
                <td data-label="Conditions"><code>${conditionsText(t.conditions)}</code></td>
                <td data-label="Created">${when(t.createdAt)}</td>
                <td class="actions">
                  ${confirmAction({ open: `Delete ${t.name}…`, csrf, action: `/workspace/ci-trusts/${encodeURIComponent(t.id)}/delete`, button: `Delete ${t.name} now`, danger: true,
                    warning: `Pipelines that match only ${t.name} stop activating at once.` })}
                </td>
              </tr>`)}
          </tbody>
        </table></div>`}
      <h3>Trust a CI identity</h3>
      <p class="hint">Its conditions are the claims of your CI platform's ID token that must match.</p>
      <form method="post" action="/workspace/ci-trusts" class="stacked-form">
        ${csrfField(csrf)}
        ${field({ id: 'trust-name', label: 'Title', name: 'name', autocomplete: 'off', value: input.form?.name, hint: 'What it admits, e.g. app on main.' })}
        <div class="field">
          <label for="trust-issuer">Issuer</label>
          <select id="trust-issuer" name="issuer">
            ${input.issuers.map((i) => html`<option value=${i} selected=${input.form?.issuer === i}>${i}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="trust-conditions">Conditions</label>
          <textarea id="trust-conditions" name="conditions" rows="3" required aria-describedby="trust-conditions-hint"
            placeholder=${'repository=acme/app\nref=refs/heads/main'}>${input.form?.conditions ?? ''}</textarea>
          <p class="hint" id="trust-conditions-hint">One condition per line, <code>claim=value</code>; each must equal the ID token's claim. One must pin the repository or its owner
        (GitHub: <code>repository</code>, <code>repository_owner_id</code>…; GitLab: <code>project_path</code>, <code>namespace_path</code>…): a trust of the issuer alone would admit every repository on it.</p>
        </div>
        <button type="submit" class="primary">Trust this CI identity</button>
      </form>
    </section>`;
}

/** My License, for those who may manage CI: the workspace's recent activations by trusted pipelines. */
export function pipelineActivationsSection(activations: PipelineActivationView[]): Markup {
  return html`
    <section aria-labelledby="pipe-h">
      <h2 id="pipe-h">Recent activations by trusted pipelines</h2>
      ${activations.length === 0 ? html`<p>None yet: see <a href="/workspace/auth-tokens#ci-trusts">Trusted CI identities</a>.</p>` : html`
        <div class="table-wrap"><table class="stack">
          <caption class="sr">Recent activations by trusted pipelines</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Trust</th><th scope="col">Repository</th><th scope="col">Ref</th><th scope="col">Run</th></tr></thead>
          <tbody>${activations.map((a) => html`<tr><th scope="row">${when(a.at)}</th><td data-label="Trust">${a.trust}</td><td data-label="Repository">${a.repository ?? '—'}</td><td data-label="Ref">${a.ref ?? '—'}</td><td data-label="Run">${a.run ?? '—'}</td></tr>`)}</tbody>
        </table></div>`}
    </section>`;
}
