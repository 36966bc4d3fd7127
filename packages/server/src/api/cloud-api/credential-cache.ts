/**
 * A short-lived cache in front of the credential store: a signed request would otherwise cost a database read
 * and two AES-GCM openings before its signature is even checked. Entries live `ttlMs` (default 2 s), so a
 * revoked credential or a terminated app stops working within that time. Unknown SecretIds are cached too
 * (a flood of made-up ids must not become a flood of queries), and the cache is bounded: when full it is
 * emptied rather than grown.
 */
import type { ApiCredential, ApiCredentialLookup } from './endpoint.ts';

/** Options of {@link cachedCredentialLookup}. */
export interface CredentialCacheOptions {
  ttlMs?: number;
  capacity?: number;
  now?: () => number;
}

export function cachedCredentialLookup(source: ApiCredentialLookup, options: CredentialCacheOptions = {}) {
  const ttlMs = options.ttlMs ?? 2_000;
  const capacity = options.capacity ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: ApiCredential | undefined; expiresAt: number }>();
  const lookup: ApiCredentialLookup & { clear(): void } = {
    async find(secretId) {
      const hit = entries.get(secretId);
      if (hit !== undefined && hit.expiresAt > now()) return hit.value;
      const value = await source.find(secretId);
      if (entries.size >= capacity) entries.clear();
      entries.set(secretId, { value, expiresAt: now() + ttlMs });
      return value;
    },
    clear() {
      entries.clear();
    },
  };
  return lookup;
}
