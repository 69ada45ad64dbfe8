import type pg from 'pg';
import { reviveJob, type JobRow } from '../repositories/jobs.js';

/**
 * The bookkeeping of `jobs.archive_status`: what the archive's status AVUs say as far as the
 * job's current run knows, so the agent can write them again until they show the job's final
 * state (pipeline/archive-status-sync.ts). The row is the truth; the AVUs converge to it.
 */

/** The status AVU value a job in `state` shows on its archive once it has finished. */
const FINAL_ARCHIVE_STATUS = `CASE j.state WHEN 'succeeded' THEN 'expanded' ELSE j.state END`;

/** Remembers that run `run` of the job wrote `status` on its archive (ignored if a replay moved on). */
export async function recordArchiveStatus(pool: pg.Pool, at: { readonly jobId: string; readonly run: number }, status: string): Promise<void> {
  await pool.query('UPDATE jobs SET archive_status = $3 WHERE id = $1 AND run = $2', [at.jobId, at.run, status]);
}

/** A finished job whose archive does not show its final state yet, with the archive's path. */
export interface PendingArchiveStatus {
  readonly job: JobRow;
  readonly logicalPath: string;
}

/**
 * Finished jobs (within `withinSeconds` of finishing) whose archive's status AVUs do not say what
 * their state says, oldest first. Only the newest job of a path: an older one must not write
 * over the status of a newer version's job. The predicate repeats migration 0006's partial index.
 */
export async function pendingArchiveStatuses(pool: pg.Pool, limit: number, withinSeconds: number): Promise<PendingArchiveStatus[]> {
  const { rows } = await pool.query<{ job: JobRow; logical_path: string }>(
    `SELECT to_jsonb(j) AS job, a.logical_path FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE j.state IN ('succeeded', 'failed', 'cancelled') AND j.kind = 'landing'
        AND j.archive_status IS DISTINCT FROM ${FINAL_ARCHIVE_STATUS}
        AND j.finished_at > now() - make_interval(secs => $2::double precision)
        AND NOT EXISTS (SELECT 1 FROM jobs j2 JOIN archives a2 ON a2.id = j2.archive_id
                         WHERE a2.logical_path = a.logical_path AND j2.id <> j.id AND j2.kind = 'landing'
                           AND (a2.id > a.id OR (a2.id = a.id AND j2.created_at > j.created_at)))
      ORDER BY j.finished_at LIMIT $1`,
    [limit, withinSeconds],
  );
  return rows.map((r) => ({ job: reviveJob(r.job), logicalPath: r.logical_path }));
}

/**
 * Remembers that the archive shows the job's final state, if the job is still in that state and
 * run (a replay since then starts over). True when it did.
 */
export async function recordFinalArchiveStatus(pool: pg.Pool, job: Pick<JobRow, 'id' | 'run' | 'state'>): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs j SET archive_status = ${FINAL_ARCHIVE_STATUS} WHERE j.id = $1 AND j.run = $2 AND j.state = $3`,
    [job.id, job.run, job.state],
  );
  return rowCount === 1;
}
