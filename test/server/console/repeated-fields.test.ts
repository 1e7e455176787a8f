import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, world } from './client.ts';

// A form field sent twice arrives as a list (formbody): every console form answers it as a form error, never a 500.
test('console forms with a field sent twice (email, role, name, licensed, password, code): 4xx pages, no 500, nothing added', async () => {
  const w = await world();
  try {
    const c = new Client(w.app);
    assert.equal((await c.signUp('owner@acme.test')).status, 303);
    const members = await c.get('/workspace/members');
    const id = /\/workspace\/members\/([^/"]+)\/seat/.exec(members.body)?.[1];
    const before = await w.accounts.store.members((await w.accounts.store.workspaces())[0].id);
    const twice = 'email=a@acme.test&email=b@acme.test&role=member&role=admin&name=a&name=b&licensed=true&licensed=false&password=x&password=y&code=a&code=b';
    const urls = ['/workspace/members', '/workspace/ci-tokens', '/sign-in', '/sign-up', '/accept-invitation', ...(id ? [`/workspace/members/${id}/seat`, `/workspace/members/${id}/role`] : [])];
    for (const url of urls) {
      await c.get('/workspace/members');
      const res = await w.app.inject({
        method: 'POST', url, payload: `_csrf=${encodeURIComponent(c.csrf)}&${twice}`,
        headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.ok(res.statusCode < 500, `${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    assert.deepEqual(await w.accounts.store.members((await w.accounts.store.workspaces())[0].id), before, 'no member added or changed');
  } finally {
    await w.close();
  }
});
