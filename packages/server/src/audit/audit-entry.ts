/**
 * What an audit record says (security.md: when, where, who, what, grant, result). Every operator read of customer
 * data, every change, and every Cloud API call becomes one. Never put secrets, tokens or keys in an entry.
 */
import type { Principal } from '../operators/principal.ts';

export type AuditResult = 'ok' | 'denied' | 'error';

/** One access or change, as the caller reports it; the audit log adds time, sequence and hashes. */
export interface AuditEntry {
  actor: Principal;
  /** Stable action name, e.g. `apps.create`, `call_data.read.timeline`, `grants.approve`, `cloud_api.DismissRoom`. */
  action: string;
  target?: { sdkAppId?: number; roomId?: string; userId?: string; operatorId?: string; grantId?: string };
  /** The grant the access was made under, if any. */
  grantId?: string | null;
  sourceIp?: string;
  result: AuditResult;
  /** Short reason or error code (bounded, no secrets). */
  detail?: string;
}

/** Where entries go; `append` never throws into the caller's path for `ok` reads (it logs and counts instead). */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
}
