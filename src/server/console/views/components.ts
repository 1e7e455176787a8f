import { html, type Markup } from './html.ts';

export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value=${csrf} />`;

export function alert(kind: 'error' | 'success' | 'info', message: Markup): Markup {
  if (!message) return null;
  return html`<div class=${`alert ${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>${message}</div>`;
}

/** A secret: masked until the reader asks to reveal it (no script needed), with a copy button when scripts run. */
export function secret(id: string, label: string, value: string, mask: string): Markup {
  return html`
    <div class="secret">
      <details>
        <summary><span class="mask" aria-hidden="true">${mask}</span> <span class="reveal">Reveal ${label}</span><span class="hide">Hide ${label}</span></summary>
        <code id=${id} class="value">${value}</code>
      </details>
      <button type="button" class="copy" data-copy=${id} hidden>Copy ${label}</button>
    </div>`;
}

/** A shell or YAML snippet with its own copy button. */
export function snippet(id: string, label: string, code: string): Markup {
  return html`
    <div class="snippet">
      <pre><code id=${id}>${code}</code></pre>
      <button type="button" class="copy" data-copy=${id} hidden>Copy ${label}</button>
    </div>`;
}

/** A state change guarded by a confirmation the reader opens first; works with the keyboard and without scripts. */
export function confirmAction(opts: { open: string; warning: Markup; action: string; button: string; csrf: string; danger?: boolean }): Markup {
  return html`
    <details class="confirm">
      <summary class="button">${opts.open}</summary>
      <div class="confirm-body">
        <p>${opts.warning}</p>
        <form method="post" action=${opts.action}>
          ${csrfField(opts.csrf)}
          <button type="submit" class=${opts.danger ? 'danger' : 'primary'}>${opts.button}</button>
        </form>
      </div>
    </details>`;
}

export function field(opts: { id: string; label: string; name: string; type?: string; value?: string; autocomplete?: string; required?: boolean; minlength?: number; hint?: string }): Markup {
  const hintId = opts.hint ? `${opts.id}-hint` : undefined;
  return html`
    <div class="field">
      <label for=${opts.id}>${opts.label}</label>
      <input id=${opts.id} name=${opts.name} type=${opts.type ?? 'text'} value=${opts.value} autocomplete=${opts.autocomplete}
        required=${opts.required ?? true} minlength=${opts.minlength} aria-describedby=${hintId} />
      ${opts.hint && html`<p class="hint" id=${hintId}>${opts.hint}</p>`}
    </div>`;
}
