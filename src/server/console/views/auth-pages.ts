import { CONSOLE } from '../constants.ts';
import { alert, csrfField, field } from './components.ts';
import { html } from './html.ts';
import { page } from './layout.ts';

const passwordHint = `At least ${CONSOLE.passwordMin} characters.`;

export const signInPage = (input: { csrf: string; email?: string; error?: string; notice?: string; next?: string }) => page({
  title: 'Sign in', csrf: input.csrf,
  body: html`
    ${alert('error', input.error)}${alert('info', input.notice)}
    <form method="post" action="/sign-in" class="card narrow">
      ${csrfField(input.csrf)}
      ${input.next && html`<input type="hidden" name="next" value=${input.next} />`}
      ${field({ id: 'email', label: 'Email', name: 'email', type: 'email', value: input.email, autocomplete: 'username' })}
      ${field({ id: 'password', label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password' })}
      <button type="submit" class="primary">Sign in</button>
    </form>
    <p>New here? <a href="/sign-up">Start a 14-day trial</a>, no credit card needed.</p>`,
});

export const signUpPage = (input: { csrf: string; email?: string; workspace?: string; error?: string }) => page({
  title: 'Start your 14-day trial', csrf: input.csrf,
  body: html`
    ${alert('error', input.error)}
    <p>Every Pro feature for 14 days, no credit card. You get a workspace of your own, its owner role and your auth token.</p>
    <form method="post" action="/sign-up" class="card narrow">
      ${csrfField(input.csrf)}
      ${field({ id: 'email', label: 'Email', name: 'email', type: 'email', value: input.email, autocomplete: 'username' })}
      ${field({ id: 'password', label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', minlength: CONSOLE.passwordMin, hint: passwordHint })}
      ${field({ id: 'workspace', label: 'Workspace name', name: 'workspace', value: input.workspace, autocomplete: 'organization', required: false, hint: 'Optional; your team or company.' })}
      <button type="submit" class="primary">Create my workspace</button>
    </form>
    <p>Have an account? <a href="/sign-in">Sign in</a>.</p>`,
});

/** The code travels in the link's #fragment, which browsers never send to a server or write to its logs; the page's script moves it into the form. */
export const invitationPage = (input: { csrf: string; error?: string }) => page({
  title: 'Accept your invitation', csrf: input.csrf,
  body: html`
    ${alert('error', input.error)}
    <p>Choose a password to finish joining your workspace.</p>
    <form method="post" action="/accept-invitation" class="card narrow" id="invitation">
      ${csrfField(input.csrf)}
      ${field({ id: 'code', label: 'Invitation code', name: 'code', autocomplete: 'off', hint: 'The part of your invitation link after the # sign.' })}
      ${field({ id: 'password', label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', minlength: CONSOLE.passwordMin, hint: passwordHint })}
      <button type="submit" class="primary">Set my password</button>
    </form>`,
});
