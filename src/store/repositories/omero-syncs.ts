import type { Queryable } from '../pool.js';
import { safeJson, safeText } from '../safe-text.js';

/** pending → running ⇄ retrying → succeeded | skipped | failed (migration 0008). */
export type OmeroSyncState = 'pending' | 'running' | 'retrying' | 'succeeded' | 'skipped' | 'failed';

export type SyncEntityType = 'data_object' | 'collection';

export interface OmeroSyncRow {
  id: number;
  logical_path: string;
  entity_type: SyncEntityType;
  state: OmeroSyncState;
  events: number;
  first_event_id: string | null;
  last_event_id: string | null;
  requested_at: Date;
  not_before: Date;
  enqueued_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  attempts: number;
  outcome: Record<string, unknown>;
  error_code: string | null;
  error_message: string | null;
}

export interface SyncRequest {
  readonly logicalPath: string;
  readonly entityType: SyncEntityType;
  /** When the debounce window of a new sync ends. */
  readonly notBefore: Date;
}

/**
 * Asks for a sync of one object: joins its pending sync (the event falls inside the debounce
 * window: `created` false) or makes a new one. The partial unique index on pending rows makes
 * this one statement safe against concurrent events for the same path.
 */
export async function requestSync(db: Queryable, request: SyncRequest): Promise<{ sync: OmeroSyncRow; created: boolean }> {
  const { rows } = await db.query<OmeroSyncRow & { created: boolean }>(
    `INSERT INTO omero_syncs (logical_path, entity_type, not_before)
     VALUES ($1, $2, $3)
     ON CONFLICT (logical_path) WHERE state = 'pending'
     DO UPDATE SET events = omero_syncs.events + 1, entity_type = EXCLUDED.entity_type, requested_at = now()
     RETURNING *, (xmax = 0) AS created`,
    [request.logicalPath, request.entityType, request.notBefore],
  );
  const { created, ...sync } = rows[0] as OmeroSyncRow & { created: boolean };
  return { sync, created };
}

/** Links the event that asked for the sync (recorded after it, in the same transaction). */
export async function attachSyncEvent(db: Queryable, syncId: number, eventId: string): Promise<void> {
  await db.query('UPDATE omero_syncs SET first_event_id = COALESCE(first_event_id, $2), last_event_id = $2 WHERE id = $1', [syncId, eventId]);
}

export async function getSync(db: Queryable, id: number): Promise<OmeroSyncRow | undefined> {
  const { rows } = await db.query<OmeroSyncRow>('SELECT * FROM omero_syncs WHERE id = $1', [id]);
  return rows[0];
}

export async function markSyncEnqueued(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE omero_syncs SET enqueued_at = now() WHERE id = $1', [id]);
}

/**
 * Syncs committed but never added to the queue (Redis was away), requested more than
 * `graceSeconds` ago, locked for the caller's transaction so several agents may flush at once.
 */
export async function claimSyncOutbox(db: Queryable, limit: number, graceSeconds: number): Promise<OmeroSyncRow[]> {
  const { rows } = await db.query<OmeroSyncRow>(
    `SELECT * FROM omero_syncs WHERE enqueued_at IS NULL AND state = 'pending' AND requested_at <= now() - make_interval(secs => $1)
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [graceSeconds, limit],
  );
  return rows;
}

/**
 * Takes the sync for an attempt: pending (first attempt) or running/retrying (a retry, or a
 * worker that died). Undefined when it already ended: a stale queue entry.
 */
export async function startSyncAttempt(db: Queryable, id: number): Promise<OmeroSyncRow | undefined> {
  const { rows } = await db.query<OmeroSyncRow>(
    `UPDATE omero_syncs SET state = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, now())
      WHERE id = $1 AND state IN ('pending', 'running', 'retrying') RETURNING *`,
    [id],
  );
  return rows[0];
}

/** The attempt failed and will be tried again after the queue's backoff. */
export async function recordSyncRetry(db: Queryable, id: number, error: { code: string; message: string }): Promise<void> {
  await db.query(`UPDATE omero_syncs SET state = 'retrying', error_code = $2, error_message = $3 WHERE id = $1 AND state = 'running'`, [
    id,
    error.code,
    safeText(error.message) ?? null,
  ]);
}

export async function finishSync(
  db: Queryable,
  id: number,
  result: { state: 'succeeded' | 'skipped' | 'failed'; outcome: Record<string, unknown>; error?: { code: string; message: string } | undefined },
): Promise<void> {
  await db.query(
    `UPDATE omero_syncs SET state = $2, outcome = $3, finished_at = now(), error_code = $4, error_message = $5
      WHERE id = $1 AND state IN ('pending', 'running', 'retrying')`,
    [id, result.state, safeJson(result.outcome), result.error?.code ?? null, safeText(result.error?.message) ?? null],
  );
}

export interface SyncListFilter {
  readonly states?: readonly OmeroSyncState[] | undefined;
  readonly path?: string | undefined;
  /** Rows with a smaller id (the previous page's last). */
  readonly beforeId?: number | undefined;
}

/** Recent syncs, newest first. */
export async function listSyncs(db: Queryable, filter: SyncListFilter, limit: number): Promise<OmeroSyncRow[]> {
  const values: unknown[] = [];
  const where: string[] = [];
  const bind = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.states?.length) where.push(`state = ANY(${bind(filter.states)}::text[])`);
  if (filter.path !== undefined) where.push(`logical_path = ${bind(filter.path)}`);
  if (filter.beforeId !== undefined) where.push(`id < ${bind(filter.beforeId)}`);
  const { rows } = await db.query<OmeroSyncRow>(
    `SELECT * FROM omero_syncs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${bind(limit)}`,
    values,
  );
  return rows;
}

/** Any constant: mixed into the per-path lock key so it never meets another advisory lock's key. */
const SYNC_LOCK_SEED = 0x5e_c0;

/** Session-level advisory lock on a path's syncs: two syncs of one object never run at once. */
export async function tryLockSyncPath(db: Queryable, logicalPath: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, $2)) AS locked', [logicalPath, SYNC_LOCK_SEED]);
  return rows[0]?.locked === true;
}

export async function unlockSyncPath(db: Queryable, logicalPath: string): Promise<void> {
  await db.query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [logicalPath, SYNC_LOCK_SEED]);
}
