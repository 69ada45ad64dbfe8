import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Deletes every key under a BullMQ prefix (SCAN, so a big prefix never blocks Redis). */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A BullMQ prefix of its own (`ioa-<kind>-<label>-<random>`); cleanup() deletes every key under it. */
export function createQueuePrefix(kind: string, label: string): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `ioa-${kind}-${label}-${randomBytes(4).toString('hex')}`;
  return { prefix, cleanup: () => deleteKeysWithPrefix(TEST_REDIS_URL, prefix) };
}

/** A BullMQ prefix of its own for one test file. */
export function createTestQueuePrefix(label = 'test'): { prefix: string; cleanup(): Promise<void> } {
  return createQueuePrefix('test', label);
}
