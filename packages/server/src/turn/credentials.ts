/**
 * Ephemeral TURN credentials (the "TURN REST API" scheme coturn's `use-auth-secret` checks): the username is
 * `<expiry unix seconds>:<userId>` and the password is base64(HMAC-SHA1(shared secret, username)). The
 * server hands them out in the join answer; coturn verifies them with the same secret and refuses them after
 * the expiry, so no per-user state is kept anywhere.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IceServer } from '@conclave/protocol';

export interface TurnCredentialInput {
  secret: string;
  userId: string;
  ttlSeconds: number;
  /** Unix milliseconds (default now). */
  now?: number;
}

/** The username and password coturn accepts until `now + ttlSeconds`. */
export function turnCredential(input: TurnCredentialInput): { username: string; credential: string } {
  const expiry = Math.floor((input.now ?? Date.now()) / 1000) + input.ttlSeconds;
  const username = `${expiry}:${input.userId}`;
  const credential = crypto.createHmac('sha1', input.secret).update(username, 'utf8').digest('base64');
  return { username, credential };
}

/** The RTCIceServer entries of a join answer: every TURN URL with one ephemeral credential. */
export function iceServersFor(urls: readonly string[], input: TurnCredentialInput): IceServer[] {
  if (urls.length === 0) return [];
  return [{ urls: [...urls], ...turnCredential(input) }];
}

/** Dev mode's TURN shared secret, kept in `<dataDir>/turn-secret` (mode 0600) across restarts. */
export function loadOrCreateTurnSecret(dataDir: string): string {
  const file = path.join(dataDir, 'turn-secret');
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text.length >= 32) return text;
  }
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
