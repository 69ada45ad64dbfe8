import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import { IrodsError } from '../irods/errors.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { archives, audit, jobSteps, jobs, withTransaction, type ArchiveRow, type JobRow } from '../store/index.js';
import { writeArchiveStatus, type ArchiveStatus } from './archive-status.js';
import type { PipelineQueues, StepJobData } from './queues.js';
import type { StepContext, StepRegistry } from './step-context.js';
import { StepCancelled, StepFailure, StepNotReady } from './step-errors.js';
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

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
  entry: string | undefined;
  irodsStatus: number | undefined;
}

/** Sorts any error into a failure with a stable code, a readable sentence and retryability. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof StepFailure) {
    return { code: err.code, message: err.message, retryable: err.retryable, entry: err.options.entry, irodsStatus: err.options.irodsStatus };
  }
  if (err instanceof IrodsError) {
    const what = err.codeName ? `${err.codeName} (${String(err.code)})` : err.code !== undefined ? String(err.code) : `HTTP ${err.status}`;
    return {
      code: err.retryable ? 'irods_unavailable' : 'irods_error',
      message: `iRODS refused ${err.op}${err.lpath ? ` on ${err.lpath}` : ''}: ${what}${err.message ? ` — ${err.message}` : ''}`,
      retryable: err.retryable,
      entry: undefined,
      irodsStatus: err.code,
    };
  }
  // Unknown errors (a database hiccup, a bug) are retried; if they persist the job fails visibly.
  return { code: 'internal_error', message: `internal error: ${(err as Error).message ?? String(err)}`, retryable: true, entry: undefined, irodsStatus: undefined };
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
    await writeStatus(deps, archive, { status: 'running', jobId, step, expandedTo: job.target_path }, log);
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
    const final = !failure.retryable || bull.attemptsMade + 1 >= (bull.opts.attempts ?? 1);
    deps.metrics.stepDuration.observe({ step, outcome: final ? 'failed' : 'retried' }, seconds());
    await jobSteps.finishStep(deps.pool, jobId, run, step, {
      state: final ? 'failed' : 'running',
      errorCode: failure.code,
      errorMessage: failure.message,
      detail: failure.entry ? { entry: failure.entry } : {},
    });
    if (!final) {
      log.warn({ err, code: failure.code, attempt: attempt.attempts }, 'step failed; will retry');
      throw err;
    }
    // The archive's AVUs are written before the row turns final, so whoever sees `failed` in the
    // database (the admin API, a waiting test) also sees it on the archive.
    const latest = (await jobs.getJob(deps.pool, jobId)) ?? current;
    await writeStatus(
      deps,
      archive,
      { status: 'failed', jobId, step, error: failure.message, expandedTo: latest.target_path, flags: latest.flags, warnings: latest.warnings },
      log,
    );
    await jobs.updateJob(deps.pool, jobId, {
      state: 'failed',
      error_code: failure.code,
      error_message: failure.message,
      error_entry: failure.entry ?? null,
      irods_status: failure.irodsStatus ?? null,
      finished: true,
    });
    deps.metrics.jobs.inc({ step, state: 'failed' });
    log.error({ err, code: failure.code }, 'step failed; job failed');
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

async function markCancelled(deps: RunnerDeps, job: JobRow, archive: ArchiveRow, step: StepName, log: Logger): Promise<void> {
  await jobSteps.finishStep(deps.pool, job.id, job.run, step, { state: 'cancelled' });
  // As for failures: the archive's AVUs first, then the final state.
  const latest = (await jobs.getJob(deps.pool, job.id)) ?? job;
  await writeStatus(deps, archive, { status: 'cancelled', jobId: job.id, step, expandedTo: latest.target_path, flags: latest.flags, warnings: latest.warnings }, log);
  await jobs.updateJob(deps.pool, job.id, { state: 'cancelled', finished: true });
  deps.metrics.jobs.inc({ step, state: 'cancelled' });
  log.info('job cancelled');
}

/**
 * Status AVUs are how users see progress; failing to write them must not change the job's
 * outcome (the job row is the truth), so errors are logged, not thrown.
 */
async function writeStatus(deps: RunnerDeps, archive: ArchiveRow, status: ArchiveStatus, log: Logger): Promise<void> {
  try {
    await writeArchiveStatus(deps.irods, archive.logical_path, status);
  } catch (err) {
    log.warn({ err, status: status.status }, 'could not write the status AVUs on the archive');
  }
}
