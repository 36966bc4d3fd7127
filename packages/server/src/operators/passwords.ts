/** Operator passwords: argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane), PHC strings. */
import { hash, verify } from '@node-rs/argon2';

// 2 = Algorithm.Argon2id (a const enum, which verbatimModuleSyntax cannot import).
const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Shortest and longest password accepted (long enough to resist guessing; bounded so hashing stays cheap). */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/** The argon2id PHC string of `password`. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** True when `password` matches `phc`; a malformed hash is a mismatch, never a throw. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

// Verifying against this when the email is unknown costs the same as a real check, so timing tells nothing.
let dummy: Promise<string> | undefined;
/** A hash of nothing anyone knows, for unknown emails. */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummy;
}
