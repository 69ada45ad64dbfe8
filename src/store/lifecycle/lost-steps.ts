import type pg from 'pg';
import { withTransaction } from '../pool.js';
import type { JobRow } from '../repositories/jobs.js';
import { safeText } from '../safe-text.js';
import { AT_STEP, atStep, type StepPointer } from './guards.js';
import { finishStep } from './step-rows.js';

/**
 * queued or running at `at` → failed, the step's row too, when BullMQ ended the step without
 * its runner recording the outcome (a worker that died too often: worker_lost; a failure
 * PostgreSQL would not take: `unrecorded failure`). A worker that recorded the outcome
 * meanwhile, or a replay, wins: undefined, nothing changes. The archive's AVUs follow through
 * the status reconciliation (archive_status is left as it is).
 */
export async function failLostStep(pool: pg.Pool, at: StepPointer, error: { readonly code: string; readonly message: string }): Promise<JobRow | undefined> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'failed', error_code = $4, error_message = $5, finished_at = now(), updated_at = now()
        WHERE ${AT_STEP} AND state IN ('queued', 'running') RETURNING *`,
      [...atStep(at), safeText(error.code), safeText(error.message)],
    );
    const job = rows[0];
    if (job) await finishStep(tx, at.jobId, at.run, at.step, { state: 'failed', errorCode: error.code, errorMessage: error.message });
    return job;
  });
}

/**
 * Jobs handed to BullMQ (enqueued_at set) that are queued or running and have not changed for
 * `quietSeconds`, oldest first: the ones whose worker may be gone (the sweeper asks BullMQ).
 */
export async function quietScheduledJobs(pool: pg.Pool, quietSeconds: number, limit: number): Promise<JobRow[]> {
  const { rows } = await pool.query<JobRow>(
    `SELECT * FROM jobs WHERE state IN ('queued', 'running') AND enqueued_at IS NOT NULL
        AND updated_at < now() - make_interval(secs => $1::double precision)
      ORDER BY updated_at LIMIT $2`,
    [quietSeconds, limit],
  );
  return rows;
}
