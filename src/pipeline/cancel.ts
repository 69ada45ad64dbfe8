import { Refused } from './refused.js';
import type pg from 'pg';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { archives, isStepName, jobs, lifecycle, type JobRow } from '../store/index.js';
import { showsOnArchive, tryWriteArchiveStatus } from './archive-status-sync.js';
import { bullJobId, type PipelineQueues } from './queues.js';

export type CancelRefusalCode = 'not_found' | 'not_cancellable';

export class CancelRefused extends Refused<CancelRefusalCode> {
  override readonly name = 'CancelRefused';
}

export interface CancelDeps {
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export interface CancelOutcome {
  /** cancelled: done now. cancel_requested: a worker is running the step; it stops at the next entry boundary. */
  readonly outcome: 'cancelled' | 'cancel_requested';
  readonly job: JobRow;
}

/**
 * Cancels a queued or running job.
 * 1. The flag goes up first (lifecycle.requestCancel): from then on no worker starts a step of
 *    this job and a running expansion stops at its next entry boundary (run-step.ts).
 * 2. The BullMQ job of the current step is removed unless a worker holds it. BullMQ refuses to
 *    remove a locked (active) job, which tells the two cases apart atomically.
 * 3. Removed (or never there: outbox, debounce): nothing can run the step any more, so the job
 *    is cancelled at once (lifecycle.cancelAtStep), provided it is still at that run and step (a
 *    worker that moved it on meanwhile sees the flag at its next step and cancels it there).
 */
export async function cancelJob(deps: CancelDeps, jobId: string, actor: string): Promise<CancelOutcome> {
  const request = await lifecycle.requestCancel(deps.pool, jobId, actor);
  if (request.outcome !== 'requested') {
    deps.metrics.adminActions.inc({ action: 'cancel', outcome: 'refused' });
    if (request.outcome === 'not_found') throw new CancelRefused('not_found', `no job ${jobId}`);
    throw new CancelRefused('not_cancellable', `the job is already ${request.state}`);
  }
  const flagged = request.job;
  const at = { jobId, run: flagged.run, step: flagged.step };

  let removed = true;
  const { step } = flagged;
  if (isStepName(step)) {
    // 1: removed, or not there at all; 0: locked by a worker.
    removed = (await deps.queues.queue(step).remove(bullJobId({ jobId, run: flagged.run, step }))) === 1;
  }
  const log = deps.log.child({ job_id: jobId, actor });
  if (!removed) {
    deps.metrics.adminActions.inc({ action: 'cancel', outcome: 'requested' });
    log.info({ step: flagged.step }, 'cancel requested; the running step stops at its next entry boundary');
    return { outcome: 'cancel_requested', job: flagged };
  }

  const cancelled = await lifecycle.cancelAtStep(deps.pool, at, { archiveShows: false });
  if (!cancelled) {
    // A worker took the job to its next step meanwhile; that step sees the flag and cancels.
    const current = (await jobs.getJob(deps.pool, jobId)) ?? flagged;
    deps.metrics.adminActions.inc({ action: 'cancel', outcome: 'requested' });
    return { outcome: current.state === 'cancelled' ? 'cancelled' : 'cancel_requested', job: current };
  }
  deps.metrics.adminActions.inc({ action: 'cancel', outcome: 'cancelled' });
  deps.metrics.jobs.inc({ step: cancelled.step, state: 'cancelled' });
  log.info({ step: cancelled.step, was: flagged.state }, 'job cancelled');
  await writeCancelledStatus(deps, cancelled, log);
  return { outcome: 'cancelled', job: cancelled };
}

/** The archive's status AVUs say cancelled; failing to write them does not undo the cancel (they are written again later). */
async function writeCancelledStatus(deps: CancelDeps, job: JobRow, log: Logger): Promise<void> {
  if (!deps.irods || !showsOnArchive(job)) return;
  const archive = await archives.getArchive(deps.pool, job.archive_id);
  if (!archive) return;
  const status = { status: 'cancelled', jobId: job.id, step: job.step, expandedTo: job.target_path, flags: job.flags, warnings: job.warnings } as const;
  if (await tryWriteArchiveStatus(deps.irods, archive.logical_path, status, log)) await lifecycle.recordArchiveStatus(deps.pool, { jobId: job.id, run: job.run }, 'cancelled');
}
