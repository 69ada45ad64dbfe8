import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { isStepName, lifecycle } from '../store/index.js';
import type { PipelineQueues } from './queues.js';

/**
 * How long after a job's step was due (its last change or the end of its debounce) the periodic
 * flush treats it as possibly lost. A healthy step starts well within it and marks itself
 * enqueued, so the flush touches no job of a healthy agent; one waiting in a long BullMQ backlog
 * is added again (a no-op: BullMQ ids are per job, run and step) and marked, once.
 */
export const OUTBOX_GRACE_SECONDS = 30;

/**
 * Enqueues jobs that were committed to PostgreSQL but never reached BullMQ (a crash or a Redis
 * outage between commit and enqueue), and marks them enqueued (lifecycle.drainOutbox, one batch
 * per transaction, rows locked so several agents can flush at once). At the start of the
 * workers with a grace of 0: every unmarked job. Returns how many were enqueued.
 */
export async function flushOutbox(
  deps: { pool: pg.Pool; queues: PipelineQueues; log: Logger },
  options: { graceSeconds?: number; batch?: number } = {},
): Promise<number> {
  const graceSeconds = options.graceSeconds ?? OUTBOX_GRACE_SECONDS;
  const batch = options.batch ?? 100;
  let total = 0;
  for (;;) {
    const n = await lifecycle.drainOutbox(deps.pool, { limit: batch, graceSeconds }, async (job) => {
      if (!isStepName(job.step)) {
        deps.log.error({ job_id: job.id, step: job.step }, 'outbox job names an unknown step; left alone');
        return false;
      }
      const delayMs = job.not_before ? job.not_before.getTime() - Date.now() : 0;
      await deps.queues.enqueue({ jobId: job.id, run: job.run, step: job.step }, delayMs);
      return true;
    });
    total += n;
    if (n < batch) break;
  }
  if (total) deps.log.info({ count: total }, 'enqueued jobs from the outbox');
  return total;
}
