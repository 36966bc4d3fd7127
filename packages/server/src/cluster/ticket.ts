/**
 * Redirect tickets: when a join reaches a node that does not serve the room, that node answers with the serving
 * node's URL and a ticket `v1.<payload>.<mac>` (base64url JSON, HMAC-SHA256 with the cluster secret). The ticket
 * is bound to the app, user, room and target node, lives ~30 s, and is accepted once by the target
 * ({@link TicketReplayCache}). It only says "this node serves the room"; the UserSig is verified on the target
 * as on any join, so a ticket alone admits nobody.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';

/** Longest a ticket lives. */
export const TICKET_TTL_MS = 30_000;
/** Largest ticket accepted (the join schema bounds it too). */
export const MAX_TICKET_CHARS = 1024;

/** What a ticket asserts. */
export interface TicketClaims {
  sdkAppId: number;
  userId: string;
  /** `roomKeyString` of the room. */
  room: string;
  /** The node that serves the room. */
  node: string;
  /** Unix ms after which the ticket is refused. */
  exp: number;
  /** Random, makes each ticket single use. */
  nonce: string;
}

const claimsSchema = z
  .object({
    sdkAppId: z.number().int().positive(),
    userId: z.string().min(1).max(64),
    room: z.string().min(1).max(200),
    node: z.string().min(1).max(64),
    exp: z.number().int().nonnegative(),
    nonce: z.string().regex(/^[A-Za-z0-9_-]{16,32}$/),
  })
  .strict();

const mac = (secret: Buffer, payload: string): Buffer =>
  crypto.createHmac('sha256', secret).update(`conclave-cluster-ticket.${payload}`).digest();

/** Signs a ticket for `claims` (nonce and expiry are added). */
export function signTicket(
  secret: Buffer,
  claims: Omit<TicketClaims, 'exp' | 'nonce'>,
  now: number,
  ttlMs = TICKET_TTL_MS,
): string {
  const full: TicketClaims = { ...claims, exp: now + ttlMs, nonce: crypto.randomBytes(16).toString('base64url') };
  const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `v1.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Decodes and checks a ticket: signature (constant time), shape, expiry, and that it names `expected`.
 * Throws CLUSTER_TICKET_INVALID or CLUSTER_TICKET_EXPIRED; never anything else, whatever the input.
 */
export function verifyTicket(
  secret: Buffer,
  ticket: string,
  expected: { sdkAppId: number; userId: string; room: string; node: string },
  now: number,
): TicketClaims {
  const invalid = (why: string) => new ConclaveError('CLUSTER_TICKET_INVALID', `cluster ticket refused: ${why}`);
  if (typeof ticket !== 'string' || ticket.length > MAX_TICKET_CHARS) throw invalid('too long');
  const parts = ticket.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') throw invalid('malformed');
  const [, payload = '', signature = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) throw invalid('malformed');
  // Compared as text: base64url's spare bits would otherwise let several spellings pass for one MAC.
  const given = Buffer.from(signature);
  const wanted = Buffer.from(mac(secret, payload).toString('base64url'));
  if (given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted)) throw invalid('bad signature');
  let claims: TicketClaims;
  try {
    claims = claimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw invalid('malformed claims');
  }
  if (claims.exp <= now) throw new ConclaveError('CLUSTER_TICKET_EXPIRED');
  if (claims.exp > now + 2 * TICKET_TTL_MS) throw invalid('lifetime too long');
  if (
    claims.sdkAppId !== expected.sdkAppId ||
    claims.userId !== expected.userId ||
    claims.room !== expected.room ||
    claims.node !== expected.node
  )
    throw invalid('issued for another app, user, room or node');
  return claims;
}

/** Nonces of tickets already used on this node, kept until they expire (bounded). */
export class TicketReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  /** Records the ticket's use; throws CLUSTER_TICKET_REPLAYED when it was used before. */
  use(claims: TicketClaims, now: number): void {
    for (const [nonce, exp] of this.#seen) {
      if (exp > now && this.#seen.size < this.#max) break; // insertion order ≈ expiry order
      this.#seen.delete(nonce);
    }
    if (this.#seen.has(claims.nonce)) throw new ConclaveError('CLUSTER_TICKET_REPLAYED');
    this.#seen.set(claims.nonce, claims.exp);
  }
}
