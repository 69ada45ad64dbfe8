import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SyncScheduler } from '../../intake/object-events.js';

/** The BullMQ queue of annotation syncs, beside the step queues (same connection and prefix). */
export const SYNC_QUEUE = 'omero-sync';

/** What a queue entry carries: a pointer to the sync row (the path only for logs and the dashboard). */
export interface SyncJobData {
  readonly syncId: number;
  readonly path: string;
}

/**
 * The BullMQ job id of a sync: derived from the object's path (hashed: BullMQ refuses ':' and
 * paths may hold anything) and the sync row, so adding the same sync twice is a no-op while a
 * later sync of the same object gets an id of its own.
 */
export function syncJobId(path: string, syncId: number): string {
  return `${createHash('sha256').update(path).digest('hex').slice(0, 24)}.${syncId}`;
}

export class AnnotationSyncQueue implements SyncScheduler {
  readonly queue: Queue<SyncJobData>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly retry: { readonly attempts: number; readonly backoffMs: number },
  ) {
    this.queue = new Queue<SyncJobData>(SYNC_QUEUE, { connection, prefix });
  }

  /** Adds the sync, due after `delayMs` (the debounce window). Idempotent per sync. */
  async schedule(sync: { readonly id: number; readonly logicalPath: string }, delayMs: number): Promise<void> {
    await this.queue.add(
      SYNC_QUEUE,
      { syncId: sync.id, path: sync.logicalPath },
      {
        jobId: syncJobId(sync.logicalPath, sync.id),
        delay: Math.max(0, Math.round(delayMs)),
        attempts: this.retry.attempts,
        backoff: { type: 'exponential', delay: this.retry.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
