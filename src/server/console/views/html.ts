import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';

/** JSX-like templates without a build step (htm on preact); every interpolated value is escaped by preact. */
export { html };
export type Markup = VNode | VNode[] | string | null | undefined | false;

// Bidi controls (embeddings, overrides, isolates, marks) in a name would reorder what every member reads; the
// console's own text has none, so the whole page is rid of them.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export const toDocument = (tree: Markup): string => `<!doctype html>${render(tree as VNode).replace(BIDI_CONTROLS, '')}`;
