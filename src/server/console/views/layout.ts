import { AUTH_TOKENS_PATH } from '../../../core/constants.ts';
import { CONSOLE } from '../constants.ts';
import { html, toDocument, type Markup } from './html.ts';

export interface Viewer { email: string; role: string; workspace: string }

const NAV = [
  ['/getting-started', 'Getting Started'],
  [AUTH_TOKENS_PATH, 'Auth Tokens'],
  ['/workspace/members', 'Users & Licenses'],
  ['/workspace/my-license', 'My License'],
] as const;

export interface PageInput {
  title: string;
  csrf: string;
  /** The signed-in member; absent on sign-in, sign-up and the failure pages. */
  viewer?: Viewer;
  path?: string;
  body: Markup;
}

export function page({ title, csrf, viewer, path, body }: PageInput): string {
  return toDocument(html`
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · LocalStack license console</title>
        <link rel="stylesheet" href=${`${CONSOLE.assetsPrefix}/console.css`} />
        <script src=${`${CONSOLE.assetsPrefix}/console.js`} defer></script>
      </head>
      <body data-path=${path}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href=${viewer ? '/getting-started' : '/sign-in'}>LocalStack <span>license console</span></a>
          ${viewer && html`
            <div class="who">
              <span class="ws">${viewer.workspace}</span>
              <span class="email">${viewer.email} · ${viewer.role}</span>
              <form method="post" action="/sign-out">
                <input type="hidden" name="_csrf" value=${csrf} />
                <button type="submit" class="link">Sign out</button>
              </form>
            </div>`}
        </header>
        ${viewer && html`
          <nav aria-label="Workspace">
            <ul>
              ${NAV.map(([href, label]) => html`<li><a href=${href} aria-current=${href === path ? 'page' : undefined}>${label}</a></li>`)}
            </ul>
          </nav>`}
        <main id="main" tabindex="-1">
          <h1>${title}</h1>
          ${body}
        </main>
        <p class="live" role="status" aria-live="polite" id="live"></p>
      </body>
    </html>`);
}
