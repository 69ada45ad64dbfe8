import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { archives, audit, jobSteps, jobs, withTransaction, type ArchiveRow, type JobRow } from '../store/index.js';
import { tryWriteArchiveStatus } from './archive-status-sync.js';
import { classifyFailure, IRODS_UNAUTHORIZED } from './failure-classification.js';
import type { PipelineQueues, StepJobData } from './queues.js';
import type { StepContext, StepRegistry } from './step-context.js';
import { StepCancelled, StepNotReady } from './step-errors.js';
import { unrecordedFailure } from './orphaned-steps.js';
import { failJob, markCancelled, recordAttemptFailure, waitForLogin } from './step-outcomes.js';
import { nextStep, type StepName } from './steps.js';

export interface RunnerDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly queues: PipelineQueues;
  readonly handlers: StepRegistry;
}

/** Whether a step runs at all in this configuration (omero only when enabled). */
export function stepEnabled(config: Config, handlers: StepRegistry) {
  return (step: StepName): boolean => (step === 'omero' ? config.omero.enabled : true) && handlers[step] !== undefined;
}

/**
 * Processes one BullMQ step job. PostgreSQL decides whether it is still current (a replay bumps
 * the run; a cancel sets a flag), records the attempt, runs the handler, then either hands the
 * job to the next step (through the outbox) or records the failure. Retryable failures are
 * rethrown for BullMQ's backoff; final ones become UnrecoverableError.
 */
export async function processStepJob(deps: RunnerDeps, bull: Job<StepJobData>, token: string | undefined, signal: AbortSignal): Promise<void> {
  const { jobId, run, step } = bull.data;
  const log = deps.log.child({ job_id: jobId, step, run });
  const job = await jobs.getJob(deps.pool, jobId);
  if (!job || job.run !== run || job.step !== step || (job.state !== 'queued' && job.state !== 'running')) {
    log.info({ state: job?.state, current_step: job?.step, current_run: job?.run }, 'stale step job skipped');
    return;
  }
  const archive = (await archives.getArchive(deps.pool, job.archive_id)) as ArchiveRow;
  if (job.cancel_requested) {
    await markCancelled(deps, job, archive, step, log);
    return;
  }
  if (job.not_before && job.not_before.getTime() > Date.now()) {
    await bull.moveToDelayed(job.not_before.getTime(), token);
    throw new DelayedError();
  }

  const current = await jobs.markRunning(deps.pool, jobId);
  if (!current) {
    // Cancelled (or ended) between the read above and now.
    const latest = await jobs.getJob(deps.pool, jobId);
    if (latest?.cancel_requested && (latest.state === 'queued' || latest.state === 'running')) await markCancelled(deps, latest, archive, step, log);
    else log.info({ state: latest?.state }, 'job changed before the step started; skipped');
    return;
  }
  const handler = deps.handlers[step];
  const attempt = await jobSteps.startStepAttempt(deps.pool, jobId, run, step);
  if (job.state === 'queued') {
    // Best effort: the final status is the one that must hold, and it is written again until it does.
    if (await tryWriteArchiveStatus(deps.irods, archive.logical_path, { status: 'running', jobId, step, expandedTo: job.target_path }, log)) {
      await jobs.recordArchiveStatus(deps.pool, jobId, run, 'running');
    }
  }
  log.info({ attempt: attempt.attempts, archive: archive.logical_path }, 'step started');
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;

  try {
    const result = handler ? await handler(buildContext(deps, current, archive, step, attempt.attempts, signal, log)) : { detail: { skipped: true } };
    await jobSteps.finishStep(deps.pool, jobId, run, step, { state: handler ? 'succeeded' : 'skipped', detail: result.detail ?? {} });
    deps.metrics.stepDuration.observe({ step, outcome: 'succeeded' }, seconds());
    log.info({ seconds: Number(seconds().toFixed(3)) }, 'step succeeded');
    await advance(deps, current, step, log);
  } catch (err) {
    if (err instanceof StepNotReady) {
      await jobSteps.finishStep(deps.pool, jobId, run, step, { state: 'queued', detail: { waiting: err.reason } });
      log.info({ reason: err.reason, retry_in_ms: err.retryInMs }, 'step not ready; rescheduled');
      await bull.moveToDelayed(Date.now() + err.retryInMs, token);
      throw new DelayedError();
    }
    if (err instanceof StepCancelled) {
      deps.metrics.stepDuration.observe({ step, outcome: 'cancelled' }, seconds());
      await markCancelled(deps, current, archive, step, log);
      return;
    }
    const failure = classifyFailure(err);
    if (failure.code === IRODS_UNAUTHORIZED) {
      deps.metrics.stepDuration.observe({ step, outcome: 'retried' }, seconds());
      await waitForLogin(deps, current, step, failure, log);
      await bull.moveToDelayed(Date.now() + deps.config.workers.loginRetrySeconds * 1000, token);
      throw new DelayedError();
    }
    const final = !failure.retryable || bull.attemptsMade + 1 >= (bull.opts.attempts ?? 1);
    deps.metrics.stepDuration.observe({ step, outcome: final ? 'failed' : 'retried' }, seconds());
    try {
      await recordAttemptFailure(deps, current, step, failure, final, log);
      if (final) await failJob(deps, current, archive, step, { ...failure, cause: err }, log);
    } catch (recordErr) {
      // Not even a safe rendering was taken (PostgreSQL down, or refusing): BullMQ ends the
      // step with the failure in hand, and the worker's failed event or the sweeper records it.
      log.error({ err: recordErr, code: failure.code, cause: failure.message }, 'could not record the failure of a step');
      if (final) throw unrecordedFailure(failure);
    }
    if (!final) {
      log.warn({ err, code: failure.code, attempt: attempt.attempts }, 'step failed; will retry');
      throw err;
    }
    throw new UnrecoverableError(failure.message);
  }
}

function buildContext(deps: RunnerDeps, job: JobRow, archive: ArchiveRow, step: StepName, attempt: number, signal: AbortSignal, log: Logger): StepContext {
  return {
    step,
    attempt,
    job,
    archive,
    config: deps.config,
    irods: deps.irods,
    pool: deps.pool,
    log,
    metrics: deps.metrics,
    signal,
    async checkCancelled() {
      const { rows } = await deps.pool.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM jobs WHERE id = $1', [job.id]);
      if (rows[0]?.cancel_requested) throw new StepCancelled();
    },
    progress: (update) => jobs.setJobProgress(deps.pool, job.id, update),
    audit: (action, lpath, detail) => audit.recordAudit(deps.pool, job.id, action, lpath, detail),
    auditBatch: (rows) => audit.recordAuditBatch(deps.pool, job.id, rows),
    async flag(flags, warnings = []) {
      await jobs.addJobFlags(deps.pool, job.id, flags, warnings);
      await jobSteps.addStepFlags(deps.pool, job.id, job.run, step, flags, warnings);
    },
    async setTarget(lpath) {
      await jobs.updateJob(deps.pool, job.id, { target_path: lpath });
    },
  };
}

/** Hands the job to its next step (through the outbox: a crash here loses nothing), or completes it. */
async function advance(deps: RunnerDeps, job: JobRow, step: StepName, log: Logger): Promise<void> {
  const next = nextStep(step, stepEnabled(deps.config, deps.handlers));
  if (!next) {
    await jobs.updateJob(deps.pool, job.id, { state: 'succeeded', finished: true });
    deps.metrics.jobs.inc({ step, state: 'succeeded' });
    log.info('job succeeded');
    return;
  }
  await withTransaction(deps.pool, async (tx) => {
    await jobs.updateJob(tx, job.id, { step: next, enqueued: 'clear' });
  });
  deps.metrics.jobs.inc({ step: next, state: 'queued' });
  try {
    await deps.queues.enqueue({ jobId: job.id, run: job.run, step: next });
    await jobs.markEnqueued(deps.pool, job.id, job.run, next);
  } catch (err) {
    log.warn({ err, next }, 'could not enqueue the next step; left in the outbox');
  }
}
