/** The operator plane's parts over the control store, built once by main.ts (and the CLI for accounts). */
import type { AuditSink } from '../audit/audit-entry.ts';
import type { Store } from '../storage/store.ts';
import { OperatorAccounts } from './accounts.ts';
import { createOperatorAccess } from './operator-access.ts';
import type { OperatorAccessControl } from './operator-access.ts';
import { OperatorSessions } from './sessions.ts';
import { OperatorWebauthn } from './webauthn.ts';

/** Options of {@link createOperatorPlane}. */
export interface OperatorPlaneOptions {
  store: Store;
  masterKey: Buffer;
  audit: AuditSink;
  adminToken: string | undefined;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** The WebAuthn origin (a function when it is the server's URL, known only after listen). */
  webauthnOrigin: string | (() => string);
  now?: () => number;
}

/** Accounts, sessions, WebAuthn and the access check. */
export interface OperatorPlane {
  readonly accounts: OperatorAccounts;
  readonly sessions: OperatorSessions;
  readonly webauthn: OperatorWebauthn;
  readonly access: OperatorAccessControl;
  readonly sessionMaxMs: number;
}

/** Builds the operator plane. */
export function createOperatorPlane(options: OperatorPlaneOptions): OperatorPlane {
  const clock = options.now === undefined ? {} : { now: options.now };
  const accounts = new OperatorAccounts({ store: options.store, masterKey: options.masterKey, ...clock });
  const sessionMaxMs = options.sessionMaxHours * 3_600_000;
  const sessions = new OperatorSessions({
    store: options.store,
    masterKey: options.masterKey,
    idleMs: options.sessionIdleMinutes * 60_000,
    maxMs: sessionMaxMs,
    ...clock,
  });
  const webauthn = new OperatorWebauthn({ store: options.store, origin: options.webauthnOrigin, ...clock });
  const access = createOperatorAccess({ accounts, sessions, adminToken: options.adminToken, audit: options.audit });
  return { accounts, sessions, webauthn, access, sessionMaxMs };
}
