/**
 * Who is acting on the operator plane, and what each role may do. One table in code (ROLE_PERMISSIONS), tested.
 * Every operator route names the permission it needs; reading a customer's call data additionally needs an
 * active grant (operators/grants), whatever the role.
 */

/** Operator roles. */
export const OPERATOR_ROLES = ['owner', 'admin', 'support', 'auditor'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** What a route may require. */
export const PERMISSIONS = [
  /** See apps and their settings (never secrets). */
  'apps.read',
  /** Create, update, terminate apps; callbacks; E2EE policy. */
  'apps.write',
  /** Rotate an app's secret key or create API credentials (the secret is shown once). */
  'apps.secrets',
  /** Erase an end user's data (privacy deletions). */
  'privacy.erase',
  /** Read a customer's call data (call list, details, quality, user events, logs, callback log): needs a grant too. */
  'call_data.read',
  /** Ask for a grant. */
  'grants.request',
  /** Approve or revoke another operator's grant. */
  'grants.approve',
  /** Read and verify the audit log. */
  'audit.read',
  /** Create, disable operators and change their roles. */
  'operators.manage',
  /** Read the vulnerability inbox. */
  'reports.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The one table of what each role may do. */
export const ROLE_PERMISSIONS: Readonly<Record<OperatorRole, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set<Permission>([
    'apps.read',
    'apps.write',
    'apps.secrets',
    'privacy.erase',
    'call_data.read',
    'grants.request',
    'grants.approve',
    'audit.read',
    'reports.read',
  ]),
  support: new Set<Permission>(['apps.read', 'call_data.read', 'grants.request']),
  auditor: new Set<Permission>(['apps.read', 'audit.read']),
};

/** True when `role` may do `permission` (a grant may still be needed for call data). */
export function can(role: OperatorRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/**
 * The authenticated actor of a request:
 * - `operator`: a person signed in with password and second factor;
 * - `automation`: the shared admin bearer token (kept for scripts; audited like a person, acts as `admin` but can
 *   hold no grant, so it never reads call data);
 * - `customer`: a Cloud API caller (TC3 SecretId), acting on its own app.
 */
export type Principal =
  | { kind: 'operator'; id: string; email: string; role: OperatorRole; sessionId: string }
  | { kind: 'automation'; id: 'admin-token'; role: 'admin' }
  | { kind: 'customer'; id: string; sdkAppId: number };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the operator authentication pre-handler. */
    principal?: Principal;
  }
}
