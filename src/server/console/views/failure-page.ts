import { alert } from './components.ts';
import { html } from './html.ts';
import { page } from './layout.ts';

/** One page for every failure a reader can meet: what happened, and the one thing to do next. */
export const failurePage = (input: { csrf: string; title: string; message: string; action?: { href: string; label: string }; viewer?: Parameters<typeof page>[0]['viewer'] }) => page({
  title: input.title, csrf: input.csrf, viewer: input.viewer,
  body: html`
    ${alert('error', input.message)}
    ${input.action && html`<p><a class="button primary" href=${input.action.href}>${input.action.label}</a></p>`}`,
});
