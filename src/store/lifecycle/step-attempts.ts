import type pg from 'pg';
import { withTransaction, type Queryable } from '../pool.js';
import type { JobRow } from '../repositories/jobs.js';
import { safeText } from '../safe-text.js';
import { AT_STEP, atStep, lockJobAt, recordingSafely, type RecordedFailure, type StepPointer } from './guards.js';
import { republishInFeed } from './feed.js';
import { nextStep, type StepName } from './step-order.js';
import { finishStep, startStepAttempt } from './step-rows.js';

/**
 * The transitions of a step attempt, as the worker running it records them: it starts; then it
 * succeeds (the job advances), is not ready (waits), fails (to be retried, or for good), or
 * waits for iRODS to accept the agent's login. Each is one transaction that starts by checking
 * that the job is still at the attempt's run and step, and changes nothing otherwise.
 */

/** A registration on demand that ended shows in its landing job's feed item: that item moves to the end of the feed. */
async function republishSource(tx: Queryable, job: JobRow): Promise<void> {
  if (job.source_job_id !== null) await republishInFeed(tx, [job.source_job_id]);
}

export interface StartedStep {
  /** The job as it is now: running. */
  readonly job: JobRow;
  /** 1 for the first attempt of this step in this run. */
  readonly attempt: number;
}

/**
 * queued or running at `at`, no cancel requested → running, with the attempt recorded (and the
 * process making it). A worker got the step from BullMQ, so it was enqueued, whether or not
 * anyone marked it; a job that waited for iRODS to accept the agent's login drops that reason.
 * Undefined when the job is elsewhere: cancelled, finished, replayed, or moved on.
 */
export async function startStep(pool: pg.Pool, at: StepPointer): Promise<StartedStep | undefined> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, now()), updated_at = now(),
              enqueued_at = COALESCE(enqueued_at, now()),
              error_code = NULL, error_message = NULL, error_entry = NULL, irods_status = NULL
        WHERE ${AT_STEP} AND state IN ('queued', 'running') AND NOT cancel_requested RETURNING *`,
      atStep(at),
    );
    const job = rows[0];
    if (!job) return undefined;
    return { job, attempt: await startStepAttempt(tx, at.jobId, at.run, at.step) };
  });
}

export interface StepSuccess {
  /** The step had no handler in this process's registry and did nothing. */
  readonly skipped: boolean;
  /** Recorded on the step's row (counts, timings, decisions). */
  readonly detail: Record<string, unknown>;
  /** The status the step wrote in the archive's status AVUs (finalize: expanded), remembered with the success. */
  readonly archiveStatus?: string | undefined;
}

export type Advanced =
  /** The job waits in the outbox for its next step (enqueued_at cleared until BullMQ has it). */
  | { readonly outcome: 'advanced'; readonly next: StepName; readonly job: JobRow }
  /** That was the last step. */
  | { readonly outcome: 'succeeded'; readonly job: JobRow };

/**
 * running at `at` → the next enabled step (queued in the outbox: running, at the next step,
 * enqueued_at NULL), or succeeded after the last; the step's row says succeeded (or skipped).
 * A cancel requested meanwhile does not stop this: the next step sees it and cancels.
 * Undefined when the job is elsewhere (another worker finished this step, the sweeper failed
 * it): this attempt's result is stale and is not recorded.
 */
export async function completeStep(
  pool: pg.Pool,
  at: StepPointer & { readonly step: StepName },
  success: StepSuccess,
  enabled: (step: StepName) => boolean,
): Promise<Advanced | undefined> {
  const next = nextStep(at.step, enabled);
  return withTransaction(pool, async (tx) => {
    const archiveStatus = success.archiveStatus ?? null;
    const { rows } = next
      ? await tx.query<JobRow>(
          `UPDATE jobs SET step = $4, enqueued_at = NULL, archive_status = COALESCE($5, archive_status), updated_at = now()
            WHERE ${AT_STEP} AND state = 'running' RETURNING *`,
          [...atStep(at), next, archiveStatus],
        )
      : await tx.query<JobRow>(
          `UPDATE jobs SET state = 'succeeded', finished_at = now(), archive_status = COALESCE($4, archive_status), updated_at = now()
            WHERE ${AT_STEP} AND state = 'running' RETURNING *`,
          [...atStep(at), archiveStatus],
        );
    const job = rows[0];
    if (!job) return undefined;
    await finishStep(tx, at.jobId, at.run, at.step, { state: success.skipped ? 'skipped' : 'succeeded', detail: success.detail });
    if (!next) await republishSource(tx, job);
    return next ? { outcome: 'advanced', next, job } : { outcome: 'succeeded', job };
  });
}

/**
 * Not ready (the upload is still settling): the job stays running at this step, the step's row
 * says queued with the reason, and the attempt is closed as rescheduled (not a failure, not
 * counted by BullMQ). False when the job is elsewhere.
 */
export async function deferStep(pool: pg.Pool, at: StepPointer, waiting: string): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    if (!(await lockJobAt(tx, at, ['running']))) return false;
    await finishStep(tx, at.jobId, at.run, at.step, { state: 'queued', detail: { waiting } });
    return true;
  });
}

/** What a recorded failure became. */
export interface FailureRecorded {
  /** PostgreSQL refused the text as it was: a safe rendering of it was recorded instead. */
  readonly renderedSafely: boolean;
}

/**
 * A failed attempt BullMQ will try again: the job stays running, the step's row keeps the
 * error and stays running, the attempt is closed as retried. Undefined when the job is elsewhere.
 */
export async function retryStep(pool: pg.Pool, at: StepPointer, failure: RecordedFailure): Promise<FailureRecorded | undefined> {
  return recordingSafely(failure, (f, renderedSafely) =>
    withTransaction(pool, async (tx) => {
      if (!(await lockJobAt(tx, at, ['running']))) return undefined;
      await finishStep(tx, at.jobId, at.run, at.step, { state: 'running', errorCode: f.code, errorMessage: f.message, detail: f.entry ? { entry: f.entry } : {} });
      return { renderedSafely };
    }),
  );
}

/**
 * The job fails at this step: the job and the step's row say failed with the error, together.
 * `archiveShows`: the archive's status AVUs already say failed with this very message (written
 * just before), which is remembered (archive_status) unless a safe rendering had to be recorded
 * instead. Undefined when the job is no longer queued or running at this step.
 */
export async function failStep(
  pool: pg.Pool,
  at: StepPointer,
  failure: RecordedFailure,
  options: { readonly archiveShows: boolean },
): Promise<(FailureRecorded & { readonly job: JobRow }) | undefined> {
  return recordingSafely(failure, (f, renderedSafely) =>
    withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<JobRow>(
        `UPDATE jobs SET state = 'failed', error_code = $4, error_message = $5, error_entry = $6, irods_status = $7,
                archive_status = CASE WHEN $8::boolean THEN 'failed' ELSE archive_status END, finished_at = now(), updated_at = now()
          WHERE ${AT_STEP} AND state IN ('queued', 'running') RETURNING *`,
        [...atStep(at), safeText(f.code), safeText(f.message), safeText(f.entry) ?? null, f.irodsStatus ?? null, options.archiveShows && !renderedSafely],
      );
      const job = rows[0];
      if (!job) return undefined;
      await finishStep(tx, at.jobId, at.run, at.step, { state: 'failed', errorCode: f.code, errorMessage: f.message, detail: f.entry ? { entry: f.entry } : {} });
      await republishSource(tx, job);
      return { job, renderedSafely };
    }),
  );
}

/**
 * iRODS refuses the agent's own login: the step waits (not an attempt, not a failure), with the
 * reason on the job and on the step's row (`jobs list --error-code irods_unauthorized`), until
 * it runs again (startStep clears it). False when the job is elsewhere.
 */
export async function waitForLogin(pool: pg.Pool, at: StepPointer, failure: RecordedFailure): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(`UPDATE jobs SET error_code = $4, error_message = $5, updated_at = now() WHERE ${AT_STEP} AND state = 'running'`, [
      ...atStep(at),
      safeText(failure.code),
      safeText(failure.message),
    ]);
    if (rowCount !== 1) return false;
    await finishStep(tx, at.jobId, at.run, at.step, { state: 'queued', errorCode: failure.code, errorMessage: failure.message, detail: { waiting: failure.code } });
    return true;
  });
}
