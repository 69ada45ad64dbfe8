import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { archives, jobs, lifecycle, type ArchiveRow, type JobRow, type StepName } from '../store/index.js';
import { showsOnArchive, tryWriteArchiveStatus } from './archive-status-sync.js';
import { buildStepContext } from './build-step-context.js';
import { classifyFailure, IRODS_UNAUTHORIZED } from './failure-classification.js';
import type { PipelineQueues, StepJobData } from './queues.js';
import type { StepRegistry, StepResult } from './step-context.js';
import { StepCancelled, StepNotReady } from './step-errors.js';
import { unrecordedFailure } from './orphaned-steps.js';
import { failJob, markCancelled, recordRetry, waitForLogin } from './step-outcomes.js';

export interface RunnerDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly queues: PipelineQueues;
  readonly handlers: StepRegistry;
}

/** Whether a step runs at all in this configuration (omero only when enabled), for this kind of job (a registration on demand: omero alone). */
export function stepEnabled(config: Config, handlers: StepRegistry, job?: Pick<JobRow, 'kind'>) {
  return (step: StepName): boolean =>
    (job?.kind === 'omero_register' ? step === 'omero' : true) && (step === 'omero' ? config.omero.enabled : true) && handlers[step] !== undefined;
}

/** Whether the job is still at the step job's run and step, and not finished. */
function isCurrent(job: JobRow, at: StepJobData): boolean {
  return job.run === at.run && job.step === at.step && (job.state === 'queued' || job.state === 'running');
}

/**
 * Processes one BullMQ step job. PostgreSQL decides whether it is still current (a replay bumps
 * the run; a cancel sets a flag), records the attempt, runs the handler, then either hands the
 * job to the next step (through the outbox) or records the failure; each of those is one
 * transition of the store's lifecycle. Retryable failures are rethrown for BullMQ's backoff;
 * final ones become UnrecoverableError.
 */
export async function processStepJob(deps: RunnerDeps, bull: Job<StepJobData>, token: string | undefined, signal: AbortSignal): Promise<void> {
  const at = bull.data;
  const { jobId, run, step } = at;
  const log = deps.log.child({ job_id: jobId, step, run });
  const job = await jobs.getJob(deps.pool, jobId);
  if (!job || !isCurrent(job, at)) {
    log.info({ state: job?.state, current_step: job?.step, current_run: job?.run }, 'stale step job skipped');
    return;
  }
  const archive = (await archives.getArchive(deps.pool, job.archive_id)) as ArchiveRow;
  if (job.cancel_requested) {
    await markCancelled(deps, at, archive, log);
    return;
  }
  if (job.not_before && job.not_before.getTime() > Date.now()) {
    await bull.moveToDelayed(job.not_before.getTime(), token);
    throw new DelayedError();
  }

  const startedStep = await lifecycle.startStep(deps.pool, at);
  if (!startedStep) {
    // Cancelled (or ended) between the read above and now.
    const latest = await jobs.getJob(deps.pool, jobId);
    if (latest?.cancel_requested && isCurrent(latest, at)) await markCancelled(deps, at, archive, log);
    else log.info({ state: latest?.state }, 'job changed before the step started; skipped');
    return;
  }
  const { job: current, attempt } = startedStep;
  const handler = deps.handlers[step];
  if (job.state === 'queued' && showsOnArchive(job)) {
    // Best effort: the final status is the one that must hold, and it is written again until it does.
    if (await tryWriteArchiveStatus(deps.irods, archive.logical_path, { status: 'running', jobId, step, expandedTo: job.target_path }, log)) {
      await lifecycle.recordArchiveStatus(deps.pool, at, 'running');
    }
  }
  log.info({ attempt, archive: archive.logical_path }, 'step started');
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;

  try {
    const result: StepResult = handler ? await handler(buildStepContext(deps, { job: current, archive, step, attempt }, signal, log)) : { detail: { skipped: true } };
    const success = { skipped: !handler, detail: result.detail ?? {}, archiveStatus: result.archiveStatus };
    const advanced = await lifecycle.completeStep(deps.pool, at, success, stepEnabled(deps.config, deps.handlers, current));
    deps.metrics.stepDuration.observe({ step, outcome: 'succeeded' }, seconds());
    log.info({ seconds: Number(seconds().toFixed(3)) }, 'step succeeded');
    if (advanced) await handOn(deps, at, advanced, log);
    else log.info('the job moved on meanwhile (another worker, the sweeper); this result is stale and not recorded');
  } catch (err) {
    if (err instanceof StepNotReady) {
      await lifecycle.deferStep(deps.pool, at, err.reason);
      log.info({ reason: err.reason, retry_in_ms: err.retryInMs }, 'step not ready; rescheduled');
      await bull.moveToDelayed(Date.now() + err.retryInMs, token);
      throw new DelayedError();
    }
    if (err instanceof StepCancelled) {
      deps.metrics.stepDuration.observe({ step, outcome: 'cancelled' }, seconds());
      await markCancelled(deps, at, archive, log);
      return;
    }
    const failure = classifyFailure(err);
    if (failure.code === IRODS_UNAUTHORIZED) {
      deps.metrics.stepDuration.observe({ step, outcome: 'retried' }, seconds());
      await waitForLogin(deps, at, failure, log);
      await bull.moveToDelayed(Date.now() + deps.config.workers.loginRetrySeconds * 1000, token);
      throw new DelayedError();
    }
    const final = !failure.retryable || bull.attemptsMade + 1 >= (bull.opts.attempts ?? 1);
    deps.metrics.stepDuration.observe({ step, outcome: final ? 'failed' : 'retried' }, seconds());
    try {
      if (final) await failJob(deps, at, archive, { ...failure, cause: err }, log);
      else await recordRetry(deps, at, failure, log);
    } catch (recordErr) {
      // Not even a safe rendering was taken (PostgreSQL down, or refusing): BullMQ ends the
      // step with the failure in hand, and the worker's failed event or the sweeper records it.
      log.error({ err: recordErr, code: failure.code, cause: failure.message }, 'could not record the failure of a step');
      if (final) throw unrecordedFailure(failure);
    }
    if (!final) {
      log.warn({ err, code: failure.code, attempt }, 'step failed; will retry');
      throw err;
    }
    throw new UnrecoverableError(failure.message);
  }
}

/** After an advance: the next step's BullMQ job (the outbox has it if this fails), or the job's success. */
async function handOn(deps: RunnerDeps, at: StepJobData, advanced: lifecycle.Advanced, log: Logger): Promise<void> {
  if (advanced.outcome === 'succeeded') {
    deps.metrics.jobs.inc({ step: at.step, state: 'succeeded' });
    log.info('job succeeded');
    return;
  }
  const next = { jobId: at.jobId, run: at.run, step: advanced.next };
  deps.metrics.jobs.inc({ step: next.step, state: 'queued' });
  try {
    await deps.queues.enqueue(next);
    await lifecycle.markEnqueued(deps.pool, next);
  } catch (err) {
    log.warn({ err, next: next.step }, 'could not enqueue the next step; left in the outbox');
  }
}
