import type pg from 'pg';
import { withTransaction } from '../pool.js';
import { recordAdminAction } from '../repositories/admin-actions.js';
import type { JobRow } from '../repositories/jobs.js';
import type { StepName } from './step-order.js';

/** Only finished jobs are replayed; a queued or running one is already on its way. */
const REPLAYABLE = `state IN ('failed', 'cancelled', 'succeeded')`;

export interface Restarted {
  /** The job as it is now: queued at `from`, in a new run, in the outbox. */
  readonly job: JobRow;
  /** The job as it was (its state, step and error, as the admin record keeps them). */
  readonly previous: JobRow;
}

/**
 * failed, cancelled or succeeded → queued at `from`, in a new run (fresh BullMQ ids), in the
 * outbox (enqueued_at NULL), with the error, the cancel flag, the debounce and the archive
 * status cleared; the operator's request is recorded (admin_actions) in the same transaction.
 * Undefined when the job is not finished (replayed or running already), and nothing changes.
 *
 * Flags and warnings are rebuilt from what the steps BEFORE `from` raised (each step keeps its
 * own on its job_steps row): whatever `from` and later steps said last time is forgotten, since
 * they run again (e.g. a no_user_mapping warning, once the admin fixed the mapping). Steps run in
 * order, so "before" is "the latest attempt of that step started before the latest of `from`".
 */
export async function restartJob(
  pool: pg.Pool,
  jobId: string,
  from: StepName,
  request: { readonly actor: string; readonly detail: Record<string, unknown> },
): Promise<Restarted | undefined> {
  return withTransaction(pool, (tx) => restartInTransaction(tx, jobId, from, { ...request, action: 'replay' }));
}

/** restartJob's transition inside the caller's transaction, recorded as `request.action` (admin_actions). */
export async function restartInTransaction(
  tx: pg.PoolClient,
  jobId: string,
  from: StepName,
  request: { readonly actor: string; readonly detail: Record<string, unknown>; readonly action: string },
): Promise<Restarted | undefined> {
  const { rows: locked } = await tx.query<JobRow>(`SELECT * FROM jobs WHERE id = $1 AND ${REPLAYABLE} FOR UPDATE`, [jobId]);
  const previous = locked[0];
  if (!previous) return undefined;
  const { rows } = await tx.query<JobRow>(
    `WITH latest AS (
       SELECT DISTINCT ON (s.step) s.step, s.started_at, s.detail
         FROM job_steps s WHERE s.job_id = $1 ORDER BY s.step, s.run DESC
     ), cut AS (
       SELECT started_at FROM latest WHERE step = $2
     ), kept AS (
       SELECT detail FROM latest
        WHERE step <> $2 AND ((SELECT started_at FROM cut) IS NULL OR started_at < (SELECT started_at FROM cut))
     )
     UPDATE jobs SET state = 'queued', step = $2, run = run + 1, error_code = NULL, error_message = NULL,
       error_entry = NULL, irods_status = NULL, cancel_requested = false, enqueued_at = NULL, archive_status = NULL,
       not_before = NULL, finished_at = NULL, updated_at = now(),
       flags = ARRAY(SELECT DISTINCT f FROM kept, jsonb_array_elements_text(COALESCE(kept.detail->'job_flags', '[]'::jsonb)) AS f ORDER BY f),
       warnings = COALESCE((SELECT jsonb_agg(DISTINCT w) FROM kept, jsonb_array_elements(COALESCE(kept.detail->'job_warnings', '[]'::jsonb)) AS w), '[]'::jsonb)
     WHERE id = $1 AND ${REPLAYABLE} RETURNING *`,
    [jobId, from],
  );
  const job = rows[0] as JobRow;
  await recordAdminAction(tx, {
    jobId,
    action: request.action,
    actor: request.actor,
    detail: { ...request.detail, from, run: job.run, previous_state: previous.state, previous_step: previous.step, previous_error: previous.error_code },
  });
  return { job, previous };
}

