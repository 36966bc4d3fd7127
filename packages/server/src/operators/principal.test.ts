// The role table, as a table: every permission of every role, so a change to ROLE_PERMISSIONS shows up here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { can, OPERATOR_ROLES, PERMISSIONS } from './principal.ts';

const Y = true;
const N = false;
// prettier-ignore
const TABLE: Record<(typeof PERMISSIONS)[number], [owner: boolean, admin: boolean, support: boolean, auditor: boolean]> = {
  'apps.read':        [Y, Y, Y, Y],
  'apps.write':       [Y, Y, N, N],
  'apps.secrets':     [Y, Y, N, N],
  'privacy.erase':    [Y, Y, N, N],
  'call_data.read':   [Y, Y, Y, N],
  'grants.request':   [Y, Y, Y, N],
  'grants.approve':   [Y, Y, N, N],
  'audit.read':       [Y, Y, N, Y],
  'operators.manage': [Y, N, N, N],
  'reports.read':     [Y, Y, N, N],
};

test('role table: every permission of every role', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...PERMISSIONS].sort());
  for (const permission of PERMISSIONS)
    OPERATOR_ROLES.forEach((role, i) =>
      assert.equal(can(role, permission), TABLE[permission][i], `${role} ${permission}`),
    );
});
