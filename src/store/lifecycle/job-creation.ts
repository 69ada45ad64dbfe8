import type { Queryable } from '../pool.js';
import type { JobRow } from '../repositories/jobs.js';

/**
 * The intake's transitions. They run inside the intake's own decision transaction, under the
 * archive path's advisory lock, together with the archive and event rows (hence a client, not
 * the pool). The common case, a path never seen, creates its job in migration 0005's
 * `ioa_accept_new_archives` instead: the same row, written by PostgreSQL for a whole group.
 */

/**
 * (none) → queued at `firstStep`, run 1, in the outbox (enqueued_at NULL), not to start before
 * `notBefore` (the debounce: later reports of the same upload join it meanwhile).
 */
export async function createJob(tx: Queryable, archiveId: number, firstStep: string, notBefore: Date | null): Promise<JobRow> {
  const { rows } = await tx.query<JobRow>(`INSERT INTO jobs (archive_id, step, not_before) VALUES ($1, $2, $3) RETURNING *`, [archiveId, firstStep, notBefore]);
  return rows[0] as JobRow;
}

/**
 * queued and never started → the same, not to start before `notBefore`: a later report of the
 * upload joined the job inside its debounce window. False when a worker started it meanwhile.
 */
export async function postponeStart(tx: Queryable, jobId: string, notBefore: Date): Promise<boolean> {
  const { rowCount } = await tx.query(`UPDATE jobs SET not_before = $2, updated_at = now() WHERE id = $1 AND state = 'queued' AND started_at IS NULL`, [
    jobId,
    notBefore,
  ]);
  return rowCount === 1;
}
