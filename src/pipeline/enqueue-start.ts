import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { lifecycle, type JobRow, type StepName } from '../store/index.js';
import type { PipelineQueues } from './queues.js';

/**
 * A job's first step of a new run (a replay, a registration on demand) to BullMQ; if that fails,
 * the job waits in the outbox and the next flush enqueues it.
 */
export async function enqueueStart(deps: { readonly pool: pg.Pool; readonly queues: PipelineQueues; readonly log: Logger }, job: JobRow, step: StepName): Promise<void> {
  const at = { jobId: job.id, run: job.run, step };
  try {
    await deps.queues.enqueue(at);
    await lifecycle.markEnqueued(deps.pool, at);
  } catch (err) {
    deps.log.warn({ err, job_id: job.id }, 'could not enqueue the job; left in the outbox');
  }
}
