import type { Queryable } from '../pool.js';
import type { StepState } from '../repositories/job-steps.js';
import { safeJson, safeText } from '../safe-text.js';
import { thisProcess, type WorkerIdentity } from '../worker-identity.js';

/**
 * The statements that write a step's rows (`job_steps`, one per job, run and step, and
 * `job_step_attempts`, one per attempt). Only the lifecycle's transitions call them, each inside
 * the transaction that also checks where the job is; tests use them to lay out a job's history.
 */

/**
 * Records the start of an attempt of a step (one row per job, run and step, counting attempts),
 * and the attempt itself with the process making it (by default this one). Returns the attempt's number.
 */
export async function startStepAttempt(db: Queryable, jobId: string, run: number, step: string, worker: WorkerIdentity = thisProcess()): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>(
    `INSERT INTO job_steps (job_id, run, step, state, attempts, started_at)
     VALUES ($1, $2, $3, 'running', 1, now())
     ON CONFLICT (job_id, run, step) DO UPDATE
       SET state = 'running', attempts = job_steps.attempts + 1, started_at = now(), finished_at = NULL
     RETURNING attempts`,
    [jobId, run, step],
  );
  const attempt = (rows[0] as { attempts: number }).attempts;
  await db.query(
    `INSERT INTO job_step_attempts (job_id, run, step, attempt, host, pid) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (job_id, run, step, attempt) DO UPDATE
       SET host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = now(), finished_at = NULL, state = 'running', error_code = NULL`,
    [jobId, run, step, attempt, worker.host, worker.pid],
  );
  return attempt;
}

export interface StepOutcome {
  readonly state: StepState;
  readonly errorCode?: string | null | undefined;
  readonly errorMessage?: string | null | undefined;
  readonly detail?: Record<string, unknown> | undefined;
}

/** Records how the step's latest attempt ended, on the step's row and on the attempt's. */
export async function finishStep(db: Queryable, jobId: string, run: number, step: string, outcome: StepOutcome): Promise<void> {
  await db.query(
    `UPDATE job_steps SET state = $4, finished_at = CASE WHEN $4 = 'running' THEN NULL ELSE now() END,
       error_code = $5, error_message = $6, detail = detail || $7::jsonb
     WHERE job_id = $1 AND run = $2 AND step = $3`,
    [jobId, run, step, outcome.state, safeText(outcome.errorCode) ?? null, safeText(outcome.errorMessage) ?? null, safeJson(outcome.detail ?? {})],
  );
  await finishLatestAttempt(db, jobId, run, step, outcome.state, outcome.errorCode ?? null);
}

/** How the step's latest attempt ended, as the step row's new state says it. */
const ATTEMPT_OUTCOME: Record<StepState, string> = {
  // A step left running with an error is a failed attempt BullMQ will try again.
  running: 'retried',
  queued: 'rescheduled',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/** Closes the step's latest attempt (the one its row counts) with the outcome finishStep recorded. */
async function finishLatestAttempt(db: Queryable, jobId: string, run: number, step: string, state: StepState, errorCode: string | null): Promise<void> {
  await db.query(
    `UPDATE job_step_attempts a SET state = $4, error_code = $5, finished_at = now()
       FROM job_steps s
      WHERE s.job_id = $1 AND s.run = $2 AND s.step = $3
        AND a.job_id = s.job_id AND a.run = s.run AND a.step = s.step AND a.attempt = s.attempts AND a.finished_at IS NULL`,
    [jobId, run, step, ATTEMPT_OUTCOME[state], errorCode],
  );
}

/**
 * Remembers, on the step's own row, the flags and warnings it raised, so a replay from this step
 * (or an earlier one) can forget them: see restartJob.
 */
export async function addStepFlags(db: Queryable, jobId: string, run: number, step: string, flags: readonly string[], warnings: readonly string[]): Promise<void> {
  await db.query(
    `UPDATE job_steps SET detail = detail || jsonb_build_object(
       'job_flags', (SELECT COALESCE(jsonb_agg(DISTINCT x), '[]'::jsonb) FROM jsonb_array_elements(COALESCE(detail->'job_flags', '[]'::jsonb) || $4::jsonb) AS x),
       'job_warnings', (SELECT COALESCE(jsonb_agg(DISTINCT x), '[]'::jsonb) FROM jsonb_array_elements(COALESCE(detail->'job_warnings', '[]'::jsonb) || $5::jsonb) AS x))
     WHERE job_id = $1 AND run = $2 AND step = $3`,
    [jobId, run, step, safeJson(flags), safeJson(warnings)],
  );
}

/** Merges facts into a running step's detail (what it has done so far), without changing its state. */
export async function recordStepDetail(db: Queryable, jobId: string, run: number, step: string, detail: Record<string, unknown>): Promise<void> {
  await db.query('UPDATE job_steps SET detail = detail || $4::jsonb WHERE job_id = $1 AND run = $2 AND step = $3', [jobId, run, step, safeJson(detail)]);
}
