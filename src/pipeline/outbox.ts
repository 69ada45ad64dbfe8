import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { jobs, withTransaction } from '../store/index.js';
import type { PipelineQueues } from './queues.js';
import { isStepName } from './steps.js';

/**
 * Enqueues jobs that were committed to PostgreSQL but never reached BullMQ (a crash or a Redis
 * outage between commit and enqueue). Rows are locked while being enqueued, so several agents
 * can flush at once. Returns how many were enqueued.
 */
export async function flushOutbox(deps: { pool: pg.Pool; queues: PipelineQueues; log: Logger }, batch = 100): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await withTransaction(deps.pool, async (tx) => {
      const pending = await jobs.claimOutbox(tx, batch);
      for (const job of pending) {
        if (!isStepName(job.step)) {
          deps.log.error({ job_id: job.id, step: job.step }, 'outbox job names an unknown step; left alone');
          continue;
        }
        const delayMs = job.not_before ? job.not_before.getTime() - Date.now() : 0;
        await deps.queues.enqueue({ jobId: job.id, run: job.run, step: job.step }, delayMs);
        await jobs.markEnqueued(tx, job.id, job.run, job.step);
      }
      return pending.length;
    });
    total += n;
    if (n < batch) break;
  }
  if (total) deps.log.info({ count: total }, 'enqueued jobs from the outbox');
  return total;
}
