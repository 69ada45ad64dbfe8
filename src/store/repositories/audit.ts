import type { Queryable } from '../pool.js';
import { safeJson, safeText } from '../safe-text.js';
import { thisProcess, type WorkerIdentity } from '../worker-identity.js';

export interface AuditRow {
  id: number;
  job_id: string | null;
  at: Date;
  action: string;
  lpath: string;
  detail: Record<string, unknown>;
  /** The host and process that made the change (null on rows older than migration 0007). */
  host: string | null;
  pid: number | null;
}

/** Records a change the agent made in iRODS (create_collection, write, modify_metadata, modify_permissions, ...), and which process made it. */
export async function recordAudit(
  db: Queryable,
  jobId: string | null,
  action: string,
  lpath: string,
  detail: Record<string, unknown> = {},
  worker: WorkerIdentity = thisProcess(),
): Promise<void> {
  await db.query('INSERT INTO audit (job_id, action, lpath, detail, host, pid) VALUES ($1, $2, $3, $4, $5, $6)', [
    jobId,
    action,
    safeText(lpath),
    safeJson(detail),
    worker.host,
    worker.pid,
  ]);
}

/** Many audit rows in one statement (expansion writes thousands). */
export async function recordAuditBatch(
  db: Queryable,
  jobId: string | null,
  rows: readonly { action: string; lpath: string; detail?: Record<string, unknown> }[],
  worker: WorkerIdentity = thisProcess(),
): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO audit (job_id, action, lpath, detail, host, pid)
     SELECT $1, r.action, r.lpath, r.detail, $3, $4 FROM jsonb_to_recordset($2::jsonb) AS r(action text, lpath text, detail jsonb)`,
    [jobId, safeJson(rows.map((r) => ({ action: r.action, lpath: r.lpath, detail: r.detail ?? {} }))), worker.host, worker.pid],
  );
}

export async function auditForJob(db: Queryable, jobId: string, limit = 1000): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>('SELECT * FROM audit WHERE job_id = $1 ORDER BY id LIMIT $2', [jobId, limit]);
  return rows;
}

/** Whether the job recorded `action` on `lpath` (e.g. that it created the target collection itself). */
export async function hasAudit(db: Queryable, jobId: string, action: string, lpath: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM audit WHERE job_id = $1 AND action = $2 AND lpath = $3 LIMIT 1', [jobId, action, lpath]);
  return (rowCount ?? 0) > 0;
}
