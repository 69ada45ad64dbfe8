import type { Queryable } from '../pool.js';
import { safeJson, safeText } from '../safe-text.js';

export interface AuditRow {
  id: number;
  job_id: string | null;
  at: Date;
  action: string;
  lpath: string;
  detail: Record<string, unknown>;
}

/** Records a change the agent made in iRODS (create_collection, write, modify_metadata, modify_permissions, ...). */
export async function recordAudit(db: Queryable, jobId: string | null, action: string, lpath: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.query('INSERT INTO audit (job_id, action, lpath, detail) VALUES ($1, $2, $3, $4)', [jobId, action, safeText(lpath), safeJson(detail)]);
}

/** Many audit rows in one statement (expansion writes thousands). */
export async function recordAuditBatch(
  db: Queryable,
  jobId: string | null,
  rows: readonly { action: string; lpath: string; detail?: Record<string, unknown> }[],
): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO audit (job_id, action, lpath, detail)
     SELECT $1, r.action, r.lpath, r.detail FROM jsonb_to_recordset($2::jsonb) AS r(action text, lpath text, detail jsonb)`,
    [jobId, safeJson(rows.map((r) => ({ action: r.action, lpath: r.lpath, detail: r.detail ?? {} })))],
  );
}

export async function auditForJob(db: Queryable, jobId: string, limit = 1000): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>('SELECT * FROM audit WHERE job_id = $1 ORDER BY id LIMIT $2', [jobId, limit]);
  return rows;
}
