/**
 * What every dashboard route shares: its options, the query limits (time range at most 31 days, at most 500 rows),
 * parameter validation and the one audit record per read.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import type { AuditSink } from '../../audit/audit-entry.ts';
import type { CallDataScope } from '../../operators/access.ts';
import type { Permission, Principal } from '../../operators/principal.ts';
import type { RoomDirectory } from '../../rooms/room-directory.ts';
import type { RegionStores } from '../../storage/regions.ts';

/** Options of the dashboard routes. */
export interface DashboardOptions {
  stores: RegionStores;
  /** Live rooms of this node (the realtime view). */
  rooms: RoomDirectory;
  audit: AuditSink;
  /** operators/access.ts OperatorAccess.requirePermission. */
  requirePermission: (permission: Permission) => preHandlerAsyncHookHandler;
  /** operators/access.ts CallDataAccess.requireCallData. */
  requireCallData: (scope: CallDataScope, appOf: (request: FastifyRequest) => number) => preHandlerAsyncHookHandler;
  /** Clock (epoch ms), default the stores' clock. */
  now?: () => number;
}

export const MAX_RANGE_MS = 31 * 86_400_000;
export const MAX_LIMIT = 500;

/** Epoch ms (up to year 2100). */
export const epochMs = z.coerce.number().int().min(0).max(4_102_444_800_000);
export const sdkAppIdText = z.coerce.number().int().min(1).max(4_294_967_295);
export const userIdText = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
export const roomIdText = z.string().min(1).max(64);
export const commIdText = z.string().min(1).max(96);

export const appParams = z.object({ sdkAppId: sdkAppIdText }).strict();
export const callParams = z.object({ sdkAppId: sdkAppIdText, commId: commIdText }).strict();

/** Parses `input` with `schema` or throws DASHBOARD_QUERY_INVALID naming the first field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue?.path[0] ?? 'query');
  throw new ConclaveError('DASHBOARD_QUERY_INVALID', `${field}: ${issue?.message ?? 'invalid'}`, {
    details: { field },
  });
}

/** A [from, to] window: defaults to the `defaultMs` before now, refused beyond 31 days or reversed. */
export function timeRange(
  q: { from?: number | undefined; to?: number | undefined },
  now: number,
  defaultMs: number,
): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - defaultMs;
  if (from > to)
    throw new ConclaveError('DASHBOARD_QUERY_INVALID', 'to: must not be before from', { details: { field: 'to' } });
  if (to - from > MAX_RANGE_MS)
    throw new ConclaveError('DASHBOARD_QUERY_INVALID', 'to: the range spans at most 31 days', {
      details: { field: 'to' },
    });
  return { from, to };
}

/** The principal set by requirePermission (a route without it is a wiring bug). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined)
    throw new ConclaveError('INTERNAL', 'dashboard route reached without a principal');
  return request.principal;
}

/** The app of a call-data route, for the grant check (0 = no such app: the grant check refuses it). */
export function appOf(request: FastifyRequest): number {
  const r = sdkAppIdText.safeParse((request.params as { sdkAppId?: unknown } | undefined)?.sdkAppId);
  return r.success ? r.data : 0;
}

/** Runs a read and writes its one audit record (ok, or the refusal's code). */
export async function auditedRead<T>(
  audit: AuditSink,
  request: FastifyRequest,
  action: string,
  target: { sdkAppId?: number; roomId?: string; userId?: string },
  read: () => Promise<{ result: T; detail?: string }>,
): Promise<T> {
  const actor = principalOf(request);
  const base = {
    actor,
    action,
    target,
    grantId: request.grantId ?? null,
    sourceIp: request.ip,
  };
  try {
    const { result, detail } = await read();
    await audit.append({ ...base, result: 'ok', ...(detail === undefined ? {} : { detail }) });
    return result;
  } catch (err) {
    const code = err instanceof ConclaveError ? err.code : 'INTERNAL';
    await audit.append({ ...base, result: err instanceof ConclaveError ? 'denied' : 'error', detail: code });
    throw err;
  }
}
