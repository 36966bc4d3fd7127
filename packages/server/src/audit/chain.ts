/**
 * The audit chain's record format: what a stored record holds, its canonical encoding, and its hash
 * `SHA-256(prev_hash ‖ canonical(record))`. Changing the encoding breaks every existing chain: add a version.
 */
import crypto from 'node:crypto';
import type { AuditRecordsTable } from '../storage/schema.ts';
import type { AuditEntry, AuditResult } from './audit-entry.ts';

/** `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A stored audit record. */
export interface AuditRecord {
  seq: number;
  at: number;
  actor: { kind: 'operator' | 'automation' | 'customer'; id: string; role: string | null };
  action: string;
  target: {
    sdkAppId: number | null;
    roomId: string | null;
    userId: string | null;
    operatorId: string | null;
    grantId: string | null;
  };
  grantId: string | null;
  sourceIp: string | null;
  result: AuditResult;
  detail: string | null;
  prevHash: string;
  hash: string;
}

/** The fields of a record that the hash covers (everything but the hashes). */
export type AuditRecordBody = Omit<AuditRecord, 'prevHash' | 'hash'>;

// Bounds keep one record small whatever a caller passes; longer values are cut, never rejected, so an audit
// append cannot fail on its input.
const MAX_ID = 128;
const MAX_ACTION = 128;
const MAX_DETAIL = 512;
const MAX_IP = 64;

const cut = (value: string | undefined | null, max: number): string | null =>
  value === undefined || value === null ? null : value.slice(0, max);

/** The record body for an entry appended at `seq`, `at`. */
export function recordBody(entry: AuditEntry, seq: number, at: number): AuditRecordBody {
  const actor = entry.actor;
  const role = actor.kind === 'customer' ? null : actor.role;
  const target = entry.target ?? {};
  return {
    seq,
    at,
    actor: { kind: actor.kind, id: actor.id.slice(0, MAX_ID), role },
    action: entry.action.slice(0, MAX_ACTION),
    target: {
      sdkAppId: target.sdkAppId ?? (actor.kind === 'customer' ? actor.sdkAppId : null),
      roomId: cut(target.roomId, MAX_ID),
      userId: cut(target.userId, MAX_ID),
      operatorId: cut(target.operatorId, MAX_ID),
      grantId: cut(target.grantId, MAX_ID),
    },
    grantId: cut(entry.grantId, MAX_ID),
    sourceIp: cut(entry.sourceIp, MAX_IP),
    result: entry.result,
    detail: cut(entry.detail, MAX_DETAIL),
  };
}

/**
 * Deterministic encoding: a JSON array in a fixed field order, led by a format version. JSON.stringify of
 * strings, integers and null is deterministic, and an array has no key order to disagree on.
 */
export function canonical(r: AuditRecordBody): string {
  return JSON.stringify([
    'conclave-audit-v1',
    r.seq,
    r.at,
    r.actor.kind,
    r.actor.id,
    r.actor.role,
    r.action,
    r.target.sdkAppId,
    r.target.roomId,
    r.target.userId,
    r.target.operatorId,
    r.target.grantId,
    r.grantId,
    r.sourceIp,
    r.result,
    r.detail,
  ]);
}

/** `SHA-256(prev_hash ‖ canonical(record))`, hex; prev_hash enters as its 32 raw bytes. */
export function chainHash(prevHash: string, body: AuditRecordBody): string {
  return crypto.createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical(body)).digest('hex');
}

/** The stored row of a record. */
export function toRow(r: AuditRecord): AuditRecordsTable {
  return {
    seq: r.seq,
    at: r.at,
    actor_kind: r.actor.kind,
    actor_id: r.actor.id,
    actor_role: r.actor.role,
    action: r.action,
    target_app: r.target.sdkAppId,
    target_room: r.target.roomId,
    target_user: r.target.userId,
    target_operator: r.target.operatorId,
    target_grant: r.target.grantId,
    grant_id: r.grantId,
    source_ip: r.sourceIp,
    result: r.result,
    detail: r.detail,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** The record of a stored row. */
export function fromRow(row: AuditRecordsTable): AuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: { kind: row.actor_kind, id: row.actor_id, role: row.actor_role },
    action: row.action,
    target: {
      sdkAppId: row.target_app,
      roomId: row.target_room,
      userId: row.target_user,
      operatorId: row.target_operator,
      grantId: row.target_grant,
    },
    grantId: row.grant_id,
    sourceIp: row.source_ip,
    result: row.result,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
