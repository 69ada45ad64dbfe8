import type { Queryable } from '../pool.js';
import { safeJson } from '../safe-text.js';

export interface AdminActionRow {
  id: number;
  at: Date;
  job_id: string | null;
  /** replay, cancel, sweep_created */
  action: string;
  /** `operator:<fingerprint>` for a token (never the token itself), `sweeper`, `cli`... */
  actor: string;
  detail: Record<string, unknown>;
}

/** Records what an operator (or the sweeper) asked for, beside the job it concerns. */
export async function recordAdminAction(
  db: Queryable,
  action: { jobId: string | null; action: string; actor: string; detail?: Record<string, unknown> },
): Promise<void> {
  await db.query('INSERT INTO admin_actions (job_id, action, actor, detail) VALUES ($1, $2, $3, $4)', [
    action.jobId,
    action.action,
    action.actor,
    safeJson(action.detail ?? {}),
  ]);
}

export async function adminActionsForJob(db: Queryable, jobId: string, limit = 200): Promise<AdminActionRow[]> {
  const { rows } = await db.query<AdminActionRow>('SELECT * FROM admin_actions WHERE job_id = $1 ORDER BY id LIMIT $2', [jobId, limit]);
  return rows;
}
