import type pg from 'pg';
import { withTransaction } from '../pool.js';
import { recordAdminAction } from '../repositories/admin-actions.js';
import type { JobRow, JobState } from '../repositories/jobs.js';
import { AT_STEP, atStep, type StepPointer } from './guards.js';
import { finishStep } from './step-rows.js';

/**
 * Cancelling is two transitions. The request raises `cancel_requested` on a queued or running
 * job: from then on no worker starts a step of it (startStep refuses), and a running step stops
 * at its next entry boundary. The cancellation itself ends the job at the step where it stands,
 * once nothing can run that step any more (its BullMQ job removed, or a worker that saw the flag).
 */

export type CancelRequest =
  | { readonly outcome: 'requested'; readonly job: JobRow }
  | { readonly outcome: 'not_found' }
  | { readonly outcome: 'not_cancellable'; readonly state: JobState };

/**
 * queued or running → the same, with cancel_requested; the operator's request is recorded
 * (admin_actions) in the same transaction. A finished job, or none, is refused and unchanged.
 */
export async function requestCancel(pool: pg.Pool, jobId: string, actor: string): Promise<CancelRequest> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET cancel_requested = true, updated_at = now() WHERE id = $1 AND state IN ('queued', 'running') RETURNING *`,
      [jobId],
    );
    const job = rows[0];
    if (!job) {
      const { rows: found } = await tx.query<{ state: JobState }>('SELECT state FROM jobs WHERE id = $1', [jobId]);
      const state = found[0]?.state;
      return state ? { outcome: 'not_cancellable', state } : { outcome: 'not_found' };
    }
    await recordAdminAction(tx, { jobId, action: 'cancel', actor, detail: { state: job.state, step: job.step, run: job.run } });
    return { outcome: 'requested', job };
  });
}

/**
 * queued or running at `at` → cancelled, with the step's row (if the step ever started) saying
 * cancelled. `archiveShows`: the archive's status AVUs already say cancelled (written just
 * before), which is remembered. Undefined when the job is elsewhere (a worker moved it on: its
 * next step sees the flag and cancels there).
 */
export async function cancelAtStep(pool: pg.Pool, at: StepPointer, options: { readonly archiveShows: boolean }): Promise<JobRow | undefined> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'cancelled', archive_status = CASE WHEN $4::boolean THEN 'cancelled' ELSE archive_status END,
              finished_at = now(), updated_at = now()
        WHERE ${AT_STEP} AND state IN ('queued', 'running') RETURNING *`,
      [...atStep(at), options.archiveShows],
    );
    const job = rows[0];
    if (!job) return undefined;
    await finishStep(tx, at.jobId, at.run, at.step, { state: 'cancelled' });
    return job;
  });
}
