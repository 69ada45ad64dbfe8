import type pg from 'pg';
import { lockArchivePath } from '../advisory-lock.js';
import { withTransaction } from '../pool.js';
import { recordAdminAction } from '../repositories/admin-actions.js';
import type { JobRow, OmeroRequest } from '../repositories/jobs.js';

/** Why a registration on demand was not created (the caller says it as a 404 or 409). */
export type RegisterRefusal =
  | { readonly code: 'superseded'; readonly newest: string }
  | { readonly code: 'not_expanded'; readonly state: string }
  | { readonly code: 'in_progress'; readonly jobId: string };

/**
 * (none) → a registration on demand of `source`'s expanded tree: queued at the omero step, run 1,
 * in the outbox, with the operator's request recorded (admin_actions) in the same transaction.
 * Under the archive path's lock, so it sees the landing job as the intake leaves it: refused
 * unless `source` is still the newest landing job of its path and succeeded, and while another
 * registration of it in the same server is queued or running.
 */
export async function createRegisterJob(
  pool: pg.Pool,
  source: { readonly jobId: string; readonly logicalPath: string },
  request: OmeroRequest,
  actor: string,
): Promise<{ readonly job: JobRow } | RegisterRefusal> {
  return withTransaction(pool, async (tx) => {
    await lockArchivePath(tx, source.logicalPath);
    const { rows: newest } = await tx.query<JobRow>(
      `SELECT j.* FROM jobs j JOIN archives a ON a.id = j.archive_id
        WHERE a.logical_path = $1 AND j.kind = 'landing' ORDER BY a.id DESC, j.created_at DESC LIMIT 1`,
      [source.logicalPath],
    );
    const landing = newest[0];
    if (!landing || landing.id !== source.jobId) return { code: 'superseded', newest: landing?.id ?? '' };
    if (landing.state !== 'succeeded' || landing.target_path === null) return { code: 'not_expanded', state: landing.state };
    const { rows: active } = await tx.query<{ id: string }>(
      `SELECT id FROM jobs WHERE source_job_id = $1 AND omero_request->>'server' = $2 AND state IN ('queued', 'running') LIMIT 1`,
      [landing.id, request.server],
    );
    if (active[0]) return { code: 'in_progress', jobId: active[0].id };
    const { rows } = await tx.query<JobRow>(
      `INSERT INTO jobs (archive_id, kind, source_job_id, omero_request, step, target_path)
       VALUES ($1, 'omero_register', $2, $3, 'omero', $4) RETURNING *`,
      [landing.archive_id, landing.id, JSON.stringify(request), landing.target_path],
    );
    const job = rows[0] as JobRow;
    await recordAdminAction(tx, { jobId: job.id, action: 'omero_register', actor, detail: { ...request, source_job: landing.id } });
    return { job };
  });
}
