import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';

/** JSX-like templates without a build step (htm on preact); every interpolated value is escaped by preact. */
export { html };
export type Markup = VNode | VNode[] | string | null | undefined | false;

export const toDocument = (tree: Markup): string => `<!doctype html>${render(tree as VNode)}`;
