import { UnrecoverableError } from 'bullmq';
import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { isStepName, lifecycle, safeRendering, type JobRow } from '../store/index.js';
import { bullJobId, type PipelineQueues, type StepJobData } from './queues.js';

/**
 * No job stays queued or running in PostgreSQL at a step no worker will ever run. BullMQ can
 * end a step job without our runner recording anything: it fails a job whose worker died too
 * often (maxStalledCount, workers.ts), or a runner's last attempt could not reach PostgreSQL to
 * record its failure. The worker that sees BullMQ fail such a job records it at once; the
 * sweeper looks again at every quiet job, in case no worker saw it (the process died then).
 */

export interface OrphanDeps {
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** What BullMQ writes when a job's worker stopped renewing its lock more than maxStalledCount times. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';
/** How the runner hands BullMQ a failure it could not record (see unrecordedFailure). */
const UNRECORDED = /^unrecorded failure ([a-z0-9_]+): ([\s\S]*)$/;

/**
 * The error the runner gives BullMQ when PostgreSQL would not take a step's failure: final, so
 * the step is not run again, and carrying the failure, so whoever records it later (the
 * worker's failed event, the sweeper) records the failure itself.
 */
export function unrecordedFailure(failure: { code: string; message: string }): UnrecoverableError {
  return new UnrecoverableError(`unrecorded failure ${failure.code}: ${failure.message}`);
}

/** The failure recorded for a step BullMQ failed without the runner recording it. */
export function lostStepFailure(step: string, failedReason: string | undefined): { code: string; message: string } {
  if (failedReason?.includes(STALLED_TOO_OFTEN)) {
    return {
      code: 'worker_lost',
      message: `The worker running the ${step} step stopped before finishing it, three times (killed, out of memory, or its host lost); the job was stopped so it does not loop. Replay it once the cause is found.`,
    };
  }
  const unrecorded = UNRECORDED.exec(failedReason ?? '');
  if (unrecorded) return { code: unrecorded[1] as string, message: safeRendering(unrecorded[2] as string) };
  return {
    code: 'internal_error',
    message: `The ${step} step failed and its worker could not record why: ${safeRendering(failedReason ?? 'no reason given')}`,
  };
}

/**
 * Fails the job in PostgreSQL if it is still at this run and step (the runner recorded nothing).
 * True when it did; the archive's AVUs follow through the status reconciliation.
 */
export async function failLostStep(deps: OrphanDeps, data: StepJobData, failedReason: string | undefined): Promise<boolean> {
  const error = lostStepFailure(data.step, failedReason);
  const failed = (await lifecycle.failLostStep(deps.pool, data, error)) !== undefined;
  if (failed) {
    deps.metrics.jobs.inc({ step: data.step, state: 'failed' });
    deps.log.error({ job_id: data.jobId, step: data.step, run: data.run, code: error.code, reason: failedReason }, 'BullMQ ended the step without its outcome recorded; job failed');
  }
  return failed;
}

/** A job is quiet for this long before the sweeper asks BullMQ about it (fresh transitions race). */
const QUIET_SECONDS = 60;
/** Most jobs one sweep asks BullMQ about. */
const CHECKED_PER_SWEEP = 500;

export interface OrphanReport {
  /** Jobs whose BullMQ job was gone (Redis lost it): enqueued again. */
  readonly requeued: readonly string[];
  /** Jobs BullMQ had failed without PostgreSQL knowing: failed there too. */
  readonly failed: readonly string[];
}

/** Enqueues the step job of `job` again when BullMQ no longer has it; true when it did. */
export async function requeueIfLost(deps: OrphanDeps, job: Pick<JobRow, 'id' | 'run' | 'step'>): Promise<boolean> {
  const { step } = job;
  if (!isStepName(step)) return false;
  const data: StepJobData = { jobId: job.id, run: job.run, step };
  if (await deps.queues.queue(step).getJob(bullJobId(data))) return false;
  await deps.queues.enqueue(data);
  await lifecycle.markEnqueued(deps.pool, data);
  return true;
}

/** The sweeper's pass over quiet queued or running jobs: enqueue what Redis lost, fail what BullMQ failed. */
export async function settleOrphanedSteps(deps: OrphanDeps, options: { dryRun: boolean }): Promise<OrphanReport> {
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const job of await lifecycle.quietScheduledJobs(deps.pool, QUIET_SECONDS, CHECKED_PER_SWEEP)) {
    const { step } = job;
    if (!isStepName(step)) continue;
    const data: StepJobData = { jobId: job.id, run: job.run, step };
    const bull = await deps.queues.queue(step).getJob(bullJobId(data));
    if (!bull) {
      if (options.dryRun || (await requeueIfLost(deps, job))) requeued.push(job.id);
      continue;
    }
    if (!(await bull.isFailed())) continue;
    if (options.dryRun || (await failLostStep(deps, data, bull.failedReason))) failed.push(job.id);
  }
  return { requeued, failed };
}
