/** Test support for the cluster: the local Redis, a unique key prefix per test, and cleaning its keys up. */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';

/** Redis used by tests; override with CONCLAVE_TEST_REDIS_URL. */
export function testRedisUrl(): string {
  return process.env.CONCLAVE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A unique key prefix and a function deleting every key under it (never FLUSHALL: Redis is shared). */
export async function testKeyspace(): Promise<{ prefix: string; redis: Redis; cleanup(): Promise<void> }> {
  const prefix = `conclave-test:${crypto.randomBytes(6).toString('hex')}:`;
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return {
    prefix,
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
