import { TEST_REDIS_URL, createQueuePrefix } from '../../test/support/redis.js';

export const BENCH_REDIS_URL = TEST_REDIS_URL;

/** A BullMQ prefix of the bench's own; cleanup() deletes every key under it. */
export function createBenchQueuePrefix(label: string): { prefix: string; cleanup(): Promise<void> } {
  return createQueuePrefix('bench', label);
}
