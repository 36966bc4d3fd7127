/**
 * The room security code: 30 digits in 6 groups of 5 (Signal's safety-number shape), identical on every
 * screen when everyone sees the same participants with the same public keys — i.e. when nobody, the
 * server included, has swapped a key. Users compare it out of band (read it aloud).
 *
 * code = digits(SHA-256("Conclave E2EE security code v1" ‖ for each participant sorted by userId:
 *          u8 len ‖ userId ‖ u8 len ‖ publicKey))
 * Each group is a 5-byte big-endian chunk of the hash mod 100000. The userId is included so that a server
 * cannot swap which participant a key belongs to without changing the code.
 */
import { bufferSource, concatBytes, decodeBigEndian, utf8 } from '../bytes.ts';

/** One participant as the security code sees it. */
export interface SecurityCodeEntry {
  readonly userId: string;
  readonly publicKey: Uint8Array;
}

/** The security code over all participants (the local one included), e.g. `"01234 56789 …"`. */
export async function securityCode(participants: readonly SecurityCodeEntry[]): Promise<string> {
  const sorted = [...participants].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  const parts: Uint8Array[] = [utf8('Conclave E2EE security code v1')];
  for (const { userId, publicKey } of sorted) {
    const id = utf8(userId);
    parts.push(Uint8Array.of(id.length & 0xff), id, Uint8Array.of(publicKey.length & 0xff), publicKey);
  }
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bufferSource(concatBytes(...parts))));
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    const chunk = decodeBigEndian(hash.subarray(i * 5, i * 5 + 5));
    groups.push((chunk % 100000n).toString().padStart(5, '0'));
  }
  return groups.join(' ');
}

/** A public key's fingerprint: lowercase hex SHA-256 of the raw key (64 characters), for apps to compare and pin. */
export async function keyFingerprint(publicKey: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bufferSource(publicKey)));
  return [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
}
