import type { Queryable } from '../pool.js';
import { safeJson, safeText } from '../safe-text.js';

export type EventVerdict = 'accepted' | 'duplicate' | 'replayed' | 'ignored' | 'rejected';

export interface EventRecord {
  webhookId: string | undefined;
  eventType: string | undefined;
  logicalPath: string | undefined;
  verdict: EventVerdict;
  reason: string | undefined;
  httpStatus: number;
  headers: Record<string, string>;
  body: string | undefined;
  archiveId?: number | undefined;
  jobId?: string | undefined;
}

export interface EventRow {
  id: string;
  webhook_id: string | null;
  received_at: Date;
  event_type: string | null;
  logical_path: string | null;
  verdict: EventVerdict;
  reason: string | null;
  http_status: number;
  archive_id: number | null;
  job_id: string | null;
}

export async function recordEvent(db: Queryable, e: EventRecord): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO events (webhook_id, event_type, logical_path, verdict, reason, http_status, headers, body, archive_id, job_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      e.webhookId ?? null,
      e.eventType ?? null,
      safeText(e.logicalPath) ?? null,
      e.verdict,
      safeText(e.reason) ?? null,
      e.httpStatus,
      safeJson(e.headers),
      safeText(e.body) ?? null,
      e.archiveId ?? null,
      e.jobId ?? null,
    ],
  );
  return (rows[0] as { id: string }).id;
}

/**
 * Claims a webhook id for this transaction: false when an earlier delivery of it was recorded (a
 * replay). The id's advisory lock keeps two deliveries of one id from both passing until one
 * commits; the event recorded afterwards (accepted, duplicate or ignored) remembers it. The
 * verdicts are written out, not a parameter, so that the partial unique index events_delivery
 * answers. The intake's fast path does not take this lock (a new path cannot be a replay of a
 * delivery for another one, unless the signer reused an id for another body): such a delivery
 * racing this one fails on the unique index instead, answered 500 and retried by the rule, which
 * is then told `replayed`.
 */
export async function claimDelivery(db: Queryable, webhookId: string): Promise<boolean> {
  await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [webhookId]);
  const { rowCount } = await db.query(
    `SELECT 1 FROM events WHERE webhook_id = $1 AND verdict IN ('accepted', 'duplicate', 'ignored')`,
    [webhookId],
  );
  return rowCount === 0;
}

export async function eventsForJob(db: Queryable, jobId: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT id, webhook_id, received_at, event_type, logical_path, verdict, reason, http_status, archive_id, job_id
       FROM events WHERE job_id = $1 ORDER BY received_at`,
    [jobId],
  );
  return rows;
}

/** The events recorded for a logical path since a moment, oldest first (the doctor's canary waits for one). */
export async function eventsForPath(db: Queryable, logicalPath: string, since: Date): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT id, webhook_id, received_at, event_type, logical_path, verdict, reason, http_status, archive_id, job_id
       FROM events WHERE logical_path = $1 AND received_at >= $2 ORDER BY received_at`,
    [logicalPath, since],
  );
  return rows;
}
