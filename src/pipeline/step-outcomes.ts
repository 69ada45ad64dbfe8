import type pg from 'pg';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { isDataRefusal, jobSteps, jobs, type ArchiveRow, type JobRow } from '../store/index.js';
import { tryWriteArchiveStatus } from './archive-status-sync.js';
import { safeRendering, type Failure } from './failure-classification.js';
import type { StepName } from './steps.js';

/**
 * How a step attempt that did not succeed is recorded: a failure (of the attempt, or of the
 * job), a cancel, or a wait for iRODS to accept the agent's login. A failure is always
 * recorded: when PostgreSQL refuses its message as it is, a safe rendering of it is recorded
 * instead, so no job stays `running` with nobody on it.
 */

export interface OutcomeDeps {
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly metrics: Metrics;
}

/** Runs `write` with the full text; if PostgreSQL refuses the values, once more with `fallback`'s. */
async function withFallback(write: (f: Failure) => Promise<void>, failure: Failure, log: Logger): Promise<void> {
  try {
    await write(failure);
  } catch (err) {
    if (!isDataRefusal(err)) throw err;
    log.warn({ err, code: failure.code }, 'PostgreSQL refused the failure as it was; recording a safe rendering of it');
    await write({ ...failure, message: safeRendering(failure.message), entry: failure.entry === undefined ? undefined : safeRendering(failure.entry) });
  }
}

/** Records a failed attempt on the step's row (final, or to be retried). */
export async function recordAttemptFailure(deps: OutcomeDeps, job: JobRow, step: StepName, failure: Failure, final: boolean, log: Logger): Promise<void> {
  await withFallback(
    (f) =>
      jobSteps.finishStep(deps.pool, job.id, job.run, step, {
        state: final ? 'failed' : 'running',
        errorCode: f.code,
        errorMessage: f.message,
        detail: f.entry ? { entry: f.entry } : {},
      }),
    failure,
    log,
  );
}

/**
 * Fails the job. The archive's AVUs are written before the row turns final, so whoever sees
 * `failed` in the database (the admin API, a waiting test) also sees it on the archive; when
 * iRODS does not take them, the row remembers it and they are written again later.
 */
export async function failJob(
  deps: OutcomeDeps,
  job: JobRow,
  archive: ArchiveRow,
  step: StepName,
  failure: Failure & { readonly cause: unknown },
  log: Logger,
): Promise<void> {
  const latest = (await jobs.getJob(deps.pool, job.id)) ?? job;
  const written = await tryWriteArchiveStatus(
    deps.irods,
    archive.logical_path,
    { status: 'failed', jobId: job.id, step, error: failure.message, expandedTo: latest.target_path, flags: latest.flags, warnings: latest.warnings },
    log,
  );
  await withFallback(
    async (f) => {
      await jobs.updateJob(deps.pool, job.id, {
        state: 'failed',
        error_code: f.code,
        error_message: f.message,
        error_entry: f.entry ?? null,
        irods_status: f.irodsStatus ?? null,
        // What the archive shows only when it shows this very failure (a safe rendering differs).
        ...(written && f.message === failure.message ? { archive_status: 'failed' } : {}),
        finished: true,
      });
    },
    failure,
    log,
  );
  deps.metrics.jobs.inc({ step, state: 'failed' });
  log.error({ err: failure.cause, code: failure.code }, 'step failed; job failed');
}

/** Marks the job cancelled at `step`, after writing `cancelled` on the archive. */
export async function markCancelled(deps: OutcomeDeps, job: JobRow, archive: ArchiveRow, step: StepName, log: Logger): Promise<void> {
  await jobSteps.finishStep(deps.pool, job.id, job.run, step, { state: 'cancelled' });
  const latest = (await jobs.getJob(deps.pool, job.id)) ?? job;
  const written = await tryWriteArchiveStatus(
    deps.irods,
    archive.logical_path,
    { status: 'cancelled', jobId: job.id, step, expandedTo: latest.target_path, flags: latest.flags, warnings: latest.warnings },
    log,
  );
  await jobs.updateJob(deps.pool, job.id, { state: 'cancelled', finished: true, ...(written ? { archive_status: 'cancelled' } : {}) });
  deps.metrics.jobs.inc({ step, state: 'cancelled' });
  log.info('job cancelled');
}

/**
 * iRODS refused the agent's own login: nothing the job did is wrong, and nothing it can do
 * helps. The step waits (not an attempt, not a failure) with the reason on the job and the step
 * (`jobs list --error-code irods_unauthorized`), and runs again once iRODS accepts the agent.
 */
export async function waitForLogin(deps: OutcomeDeps, job: JobRow, step: StepName, failure: Failure, log: Logger): Promise<void> {
  await jobSteps.finishStep(deps.pool, job.id, job.run, step, {
    state: 'queued',
    errorCode: failure.code,
    errorMessage: failure.message,
    detail: { waiting: failure.code },
  });
  await jobs.updateJob(deps.pool, job.id, { error_code: failure.code, error_message: failure.message });
  log.warn({ code: failure.code }, "iRODS refuses the agent's login; the step waits and tries again");
}
