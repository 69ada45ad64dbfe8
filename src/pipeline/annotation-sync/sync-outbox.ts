import type pg from 'pg';
import type { Logger } from '../../logging/logger.js';
import { omeroSyncs, withTransaction } from '../../store/index.js';
import type { AnnotationSyncQueue } from './sync-queue.js';

/** How long after it was asked for a sync that never reached the queue is scheduled by the flush. */
export const SYNC_OUTBOX_GRACE_SECONDS = 30;

/**
 * Schedules syncs committed while Redis was away (the intake could not add them), each at the
 * end of its debounce window. Rows are locked while being scheduled, so several agents may flush
 * at once; scheduling one twice is a no-op (its BullMQ id). Returns how many were scheduled.
 */
export async function flushSyncOutbox(
  deps: { readonly pool: pg.Pool; readonly queue: AnnotationSyncQueue; readonly log: Logger },
  options: { readonly graceSeconds?: number; readonly batch?: number } = {},
): Promise<number> {
  const batch = options.batch ?? 100;
  let total = 0;
  for (;;) {
    const n = await withTransaction(deps.pool, async (tx) => {
      const pending = await omeroSyncs.claimSyncOutbox(tx, batch, options.graceSeconds ?? SYNC_OUTBOX_GRACE_SECONDS);
      for (const sync of pending) {
        await deps.queue.schedule({ id: sync.id, logicalPath: sync.logical_path }, sync.not_before.getTime() - Date.now());
        await omeroSyncs.markSyncEnqueued(tx, sync.id);
      }
      return pending.length;
    });
    total += n;
    if (n < batch) break;
  }
  if (total) deps.log.info({ count: total }, 'scheduled omero syncs from the outbox');
  return total;
}
