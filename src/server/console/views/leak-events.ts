import { when } from './format.ts';
import { html, type Markup } from './html.ts';

/** A credential revoked because a scanner found it in public, as the console shows it. */
export interface LeakEventView {
  kind: 'developer' | 'ci' | 'legacy';
  mask: string;
  /** The CI token's name (kind ci). */
  name: string;
  foundAt: string;
  /** Host and path of where it was found, masked and bounded by the server. */
  where: string;
  action: 'rotated' | 'deleted' | 'revoked';
}

function eventText(e: LeakEventView): Markup {
  const found = html`was found in public at <code>${e.where}</code> on ${when(e.foundAt)}`;
  if (e.kind === 'ci') {
    return html`CI token <strong>${e.name}</strong> (<code>${e.mask}</code>) ${found} and was deleted. Create a new CI token below, put it in your CI system's secret store, and remove the old value from that repository and its history.`;
  }
  if (e.kind === 'legacy') {
    return html`Your legacy API key ${found} and was revoked. Use your auth token instead, and remove the key from that repository and its history.`;
  }
  return html`Your auth token <code>${e.mask}</code> ${found} and was revoked: it no longer activates anything. Rotate your auth token below to get your new value, set it wherever you use LocalStack, and remove the old one from that repository and its history.`;
}

/** The Auth Tokens page's account of leaked credentials revoked without waiting for anyone (issue 19). */
export function leakEventsSection(events: LeakEventView[]): Markup {
  if (events.length === 0) return null;
  return html`
    <section aria-labelledby="leaks-h" class="leaks">
      <h2 id="leaks-h">Tokens found in public</h2>
      <p>A secret scanner reported these credentials in a public place; the license server revoked them at once.</p>
      <ul class="leak-events">
        ${events.map((e) => html`<li class="alert error">${eventText(e)}</li>`)}
      </ul>
    </section>`;
}
