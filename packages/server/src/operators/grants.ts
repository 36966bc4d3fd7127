/**
 * Temporary access grants (just-in-time access to a customer's call data). One operator asks for one app, a set
 * of scopes, a reason and a duration; a *different* operator holding `grants.approve` approves it; it is active
 * from approval until `expiresAt` (derived: past it the status reads `expired`) or until it is revoked.
 * Automation (the admin token) and customers can neither ask, approve nor hold a grant.
 * Every step and every refused step is written to the audit log with target {sdkAppId, grantId}.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode } from '@conclave/protocol';
import type { AuditEntry, AuditSink } from '../audit/audit-entry.ts';
import { CALL_DATA_SCOPES } from './access.ts';
import type { CallDataScope } from './access.ts';
import { GrantStore } from './grant-store.ts';
import type { GrantActor, StoredGrant } from './grant-store.ts';
import { can } from './principal.ts';
import type { Principal } from './principal.ts';
import type { Store } from '../storage/store.ts';

/** What a grant's status reads as at a given time. */
export const GRANT_STATUSES = ['pending', 'active', 'expired', 'revoked', 'rejected'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

/** A grant as the API shows it (docs/console-api.md "Grants"); times are epoch milliseconds. */
export interface Grant {
  id: string;
  sdkAppId: number;
  scopes: CallDataScope[];
  reason: string;
  durationMinutes: number;
  status: GrantStatus;
  requestedBy: GrantActor;
  requestedAt: number;
  decidedBy: GrantActor | null;
  decidedAt: number | null;
  expiresAt: number | null;
  revokedBy: GrantActor | null;
  revokedAt: number | null;
}

/** Longest grant: one day. */
export const MAX_GRANT_MINUTES = 1440;

/** A request nobody decided within a day lapses (reads as `expired`): an approval must answer a current need. */
export const PENDING_GRANT_LIFETIME_MS = 24 * 3_600_000;

/** The body of a grant request. */
export const grantRequestSchema = z
  .object({
    sdkAppId: z.number().int().min(1).max(4_294_967_295),
    scopes: z
      .array(z.enum(CALL_DATA_SCOPES))
      .min(1)
      .max(CALL_DATA_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'scopes must not repeat'),
    reason: z.string().trim().min(10).max(500),
    durationMinutes: z.number().int().min(1).max(MAX_GRANT_MINUTES),
  })
  .strict();
export type GrantRequest = z.infer<typeof grantRequestSchema>;

/** Options of {@link GrantService}. */
export interface GrantServiceOptions {
  /** The control store. */
  store: Store;
  audit: AuditSink;
  /** True when the app exists and is active (apps/registry.ts `isActive`). */
  appExists: (sdkAppId: number) => Promise<boolean>;
  now?: () => number;
}

/** Where a step came from (for the audit record). */
export interface StepContext {
  sourceIp?: string;
}

type Operator = Extract<Principal, { kind: 'operator' }>;

/** The status a stored grant reads as at `now`. */
export function grantStatusAt(grant: StoredGrant, now: number): GrantStatus {
  if (grant.status === 'active' && grant.expiresAt !== null && grant.expiresAt <= now) return 'expired';
  if (grant.status === 'pending' && grant.requestedAt + PENDING_GRANT_LIFETIME_MS <= now) return 'expired';
  return grant.status;
}

function refusal(code: ErrorCode, message?: string): ConclaveError {
  return new ConclaveError(code, message);
}

/** Requests, decisions, revocations, listing, and the check every call-data read goes through. */
export class GrantService {
  readonly #grants: GrantStore;
  readonly #audit: AuditSink;
  readonly #appExists: (sdkAppId: number) => Promise<boolean>;
  readonly #now: () => number;

  constructor(options: GrantServiceOptions) {
    this.#grants = new GrantStore(options.store);
    this.#audit = options.audit;
    this.#appExists = options.appExists;
    this.#now = options.now ?? Date.now;
  }

  /** The grant as shown at the service's clock. */
  view(grant: StoredGrant, now = this.#now()): Grant {
    return { ...grant, status: grantStatusAt(grant, now) };
  }

  /** Asks for a grant (`body` is validated here). 400 GRANT_INVALID; automation/customers GRANT_OPERATOR_ONLY. */
  async request(actor: Principal, body: unknown, context: StepContext = {}): Promise<Grant> {
    const action = 'grants.request';
    const parsed = grantRequestSchema.safeParse(body);
    const sdkAppId = parsed.success ? parsed.data.sdkAppId : undefined;
    return this.#step(actor, action, { sdkAppId }, context, async () => {
      const operator = this.#operatorOnly(actor);
      if (!parsed.success) throw refusal('GRANT_INVALID', describeIssue(parsed.error));
      const input = parsed.data;
      if (!(await this.#appExists(input.sdkAppId)))
        throw new ConclaveError('GRANT_INVALID', `app ${input.sdkAppId} does not exist or is not active`);
      const grant = await this.#grants.insert({
        id: `grant_${crypto.randomBytes(12).toString('hex')}`,
        sdkAppId: input.sdkAppId,
        scopes: CALL_DATA_SCOPES.filter((s) => input.scopes.includes(s)),
        reason: input.reason,
        durationMinutes: input.durationMinutes,
        requestedBy: { id: operator.id, email: operator.email },
        requestedAt: this.#now(),
      });
      return {
        grant: this.view(grant),
        detail: `scopes ${grant.scopes.join(',')}; ${grant.durationMinutes} min; reason: ${grant.reason}`,
      };
    });
  }

  /** Approves a pending grant of another operator; active time runs from now. */
  async approve(actor: Principal, grantId: string, context: StepContext = {}): Promise<Grant> {
    return this.#decide(actor, grantId, 'active', context);
  }

  /** Rejects a pending grant of another operator. */
  async reject(actor: Principal, grantId: string, context: StepContext = {}): Promise<Grant> {
    return this.#decide(actor, grantId, 'rejected', context);
  }

  /** Ends a pending or active grant now: its requester, or an operator holding `grants.approve`. */
  async revoke(actor: Principal, grantId: string, context: StepContext = {}): Promise<Grant> {
    const existing = await this.#grants.get(grantId);
    return this.#step(actor, 'grants.revoke', { sdkAppId: existing?.sdkAppId, grantId }, context, async () => {
      const operator = this.#operatorOnly(actor);
      // Someone who could not list the grant learns nothing of it: the same answer as an unknown id.
      if (existing === undefined || !(existing.requestedBy.id === operator.id || can(operator.role, 'grants.approve')))
        throw refusal('GRANT_NOT_FOUND');
      const now = this.#now();
      const status = grantStatusAt(existing, now);
      if (status !== 'pending' && status !== 'active')
        throw new ConclaveError('GRANT_STATE_CONFLICT', `the grant is ${status}; only pending or active grants end`);
      const revoked = await this.#grants.revoke(grantId, { id: operator.id, email: operator.email }, now);
      if (revoked === undefined) throw new ConclaveError('GRANT_STATE_CONFLICT', 'the grant changed meanwhile');
      return { grant: this.view(revoked, now), detail: `was ${status}` };
    });
  }

  /** Own grants, or every grant for a holder of `grants.approve`; newest first, optionally by derived status. */
  async list(actor: Principal, filter: { status?: GrantStatus; sdkAppId?: number } = {}): Promise<Grant[]> {
    if (actor.kind !== 'operator') return [];
    const all = can(actor.role, 'grants.approve');
    const now = this.#now();
    const grants = await this.#grants.list({
      ...(all ? {} : { requestedBy: actor.id }),
      ...(filter.sdkAppId !== undefined ? { sdkAppId: filter.sdkAppId } : {}),
    });
    return grants
      .map((g) => this.view(g, now))
      .filter((g) => filter.status === undefined || g.status === filter.status);
  }

  /**
   * The grant under which `principal` may read `scope` of `sdkAppId` at `now`, or the reason it may not:
   * GRANT_REQUIRED (none, a rejected one, or not an operator), GRANT_PENDING, GRANT_EXPIRED, GRANT_REVOKED,
   * GRANT_OUT_OF_SCOPE. Not audited here: the caller (call-data-access.ts) records the refusal or the read.
   */
  async authorize(principal: Principal, sdkAppId: number, scope: CallDataScope, now = this.#now()): Promise<Grant> {
    if (principal.kind !== 'operator')
      throw new ConclaveError('GRANT_REQUIRED', 'automation and customers never hold grants');
    const active = (await this.#grants.list({ requestedBy: principal.id, sdkAppId, activeAt: now })).map((g) =>
      this.view(g, now),
    );
    const usable = active.find((g) => g.scopes.includes(scope));
    if (usable !== undefined) return usable;
    if (active.length > 0)
      throw new ConclaveError('GRANT_OUT_OF_SCOPE', `the active grant does not cover "${scope}"`, {
        details: { grantId: active[0]?.id },
      });
    const grants = (await this.#grants.list({ requestedBy: principal.id, sdkAppId, limit: 1 })).map((g) =>
      this.view(g, now),
    );
    // Otherwise the newest grant says why (a pending request, an expired or revoked grant); none → required.
    const newest = grants[0];
    if (newest?.status === 'pending') throw refusal('GRANT_PENDING');
    if (newest?.status === 'expired') throw refusal('GRANT_EXPIRED');
    if (newest?.status === 'revoked') throw refusal('GRANT_REVOKED');
    throw refusal('GRANT_REQUIRED');
  }

  async #decide(actor: Principal, grantId: string, to: 'active' | 'rejected', context: StepContext): Promise<Grant> {
    const action = to === 'active' ? 'grants.approve' : 'grants.reject';
    const existing = await this.#grants.get(grantId);
    return this.#step(actor, action, { sdkAppId: existing?.sdkAppId, grantId }, context, async () => {
      const operator = this.#operatorOnly(actor);
      if (existing === undefined) throw refusal('GRANT_NOT_FOUND');
      if (existing.requestedBy.id === operator.id) throw refusal('GRANT_SELF_APPROVAL');
      // The route checked the permission already; checked again so the service is safe on its own.
      if (!can(operator.role, 'grants.approve'))
        throw new ConclaveError('GRANT_OPERATOR_ONLY', 'deciding a grant needs the grants.approve permission');
      const now = this.#now();
      const status = grantStatusAt(existing, now);
      if (status !== 'pending') throw new ConclaveError('GRANT_STATE_CONFLICT', `the grant is ${status}, not pending`);
      const decided = await this.#grants.decide(grantId, {
        status: to,
        by: { id: operator.id, email: operator.email },
        at: now,
        expiresAt: to === 'active' ? now + existing.durationMinutes * 60_000 : null,
      });
      if (decided === undefined) throw new ConclaveError('GRANT_STATE_CONFLICT', 'the grant was decided meanwhile');
      return {
        grant: this.view(decided, now),
        detail: to === 'active' ? `expires ${new Date(decided.expiresAt ?? now).toISOString()}` : 'rejected',
      };
    });
  }

  #operatorOnly(actor: Principal): Operator {
    if (actor.kind !== 'operator') throw refusal('GRANT_OPERATOR_ONLY');
    return actor;
  }

  /** Runs one step and audits its outcome: ok with the grant, or denied with the refusal's code. */
  async #step(
    actor: Principal,
    action: string,
    target: { sdkAppId: number | undefined; grantId?: string },
    context: StepContext,
    run: () => Promise<{ grant: Grant; detail: string }>,
  ): Promise<Grant> {
    const base = (sdkAppId: number | undefined, grantId: string | undefined): AuditEntry['target'] => ({
      ...(sdkAppId !== undefined ? { sdkAppId } : {}),
      ...(grantId !== undefined ? { grantId } : {}),
    });
    const sourceIp = context.sourceIp !== undefined ? { sourceIp: context.sourceIp } : {};
    let outcome: { grant: Grant; detail: string };
    try {
      outcome = await run();
    } catch (err) {
      if (err instanceof ConclaveError)
        await this.#audit.append({
          actor,
          action,
          target: base(target.sdkAppId, target.grantId),
          ...sourceIp,
          result: 'denied',
          detail: err.code,
        });
      throw err;
    }
    await this.#audit.append({
      actor,
      action,
      target: base(outcome.grant.sdkAppId, outcome.grant.id),
      ...sourceIp,
      result: 'ok',
      detail: outcome.detail,
    });
    return outcome.grant;
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid grant request';
  const field = issue.path.join('.') || 'body';
  return `${field}: ${issue.message} (sdkAppId an active app, scopes from ${CALL_DATA_SCOPES.join('/')}, reason 10..500 characters, durationMinutes 1..${MAX_GRANT_MINUTES})`;
}
