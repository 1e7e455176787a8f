import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canManageCiTokens, canManageMembers, inviteRefusal, roleChangeRefusal } from '../../../src/server/console/permissions.ts';
import type { MemberRow, Role } from '../../../src/server/storage/store.ts';

const m = (id: string, role: Role): MemberRow => ({ id, workspace_id: 'ws', email: `${id}@x.test`, role, licensed: 0, token_hash: id, token_mask: 'ls-…', legacy_key_hash: null });

test('the CI rule is the API’s: owners and admins manage CI tokens and members, members do not', () => {
  assert.deepEqual((['owner', 'admin', 'member'] as Role[]).map(canManageCiTokens), [true, true, false]);
  assert.deepEqual((['owner', 'admin', 'member'] as Role[]).map(canManageMembers), [true, true, false]);
});

test('role changes: never your own, owners only by an owner, nothing by a member', () => {
  const owner = m('o', 'owner');
  const admin = m('a', 'admin');
  const member = m('m', 'member');
  assert.equal(roleChangeRefusal(owner, member, 'admin'), undefined);
  assert.equal(roleChangeRefusal(owner, admin, 'owner'), undefined);
  assert.equal(roleChangeRefusal(admin, member, 'admin'), undefined);
  assert.match(roleChangeRefusal(admin, member, 'owner')!, /only an owner/);
  assert.match(roleChangeRefusal(admin, owner, 'member')!, /only an owner/);
  assert.match(roleChangeRefusal(owner, owner, 'member')!, /your own role/);
  assert.match(roleChangeRefusal(member, admin, 'member')!, /role \(member\) cannot/);
  assert.equal(inviteRefusal(admin, 'admin'), undefined);
  assert.match(inviteRefusal(admin, 'owner')!, /only an owner/);
  assert.match(inviteRefusal(member, 'member')!, /cannot invite/);
});
