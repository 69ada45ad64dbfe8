import type { Queryable } from '../pool.js';
import { safeText } from '../safe-text.js';

/** An expanded tree registered in OMERO, found from a path in or around it. */
export interface RegisteredTree {
  job_id: string;
  run: number;
  target_path: string;
  archive_id: number;
  archive_path: string;
  /** The omero step's `detail.omero` of its last successful registration (mode, server, …). */
  registration: { mode?: unknown; server?: unknown } & Record<string, unknown>;
}

/**
 * The registered trees a rename or removal of `lpath` touches: the tree that contains it, or
 * every tree inside it (a collection above them went). Per tree, one registration that still
 * stands, an in-place (`ln_s`) one first: the landing job's own (its newest; a later run that did
 * not register does not hide it), or one on demand in another server (kind omero_register). A
 * registration stops standing when an `omero unregister` of its server came after it: OMERO no
 * longer reads the tree there.
 */
export async function registeredTreesTouchedBy(db: Queryable, lpath: string): Promise<RegisteredTree[]> {
  const { rows } = await db.query<RegisteredTree>(
    `SELECT DISTINCT ON (j.target_path) j.id AS job_id, j.run, j.target_path, a.id AS archive_id, a.logical_path AS archive_path, reg.detail AS registration
       FROM jobs j
       JOIN archives a ON a.id = j.archive_id
       JOIN LATERAL (
         SELECT r.detail FROM (
           (SELECT s.detail->'omero' AS detail, s.finished_at FROM job_steps s
             WHERE s.job_id = j.id AND s.step = 'omero' AND s.state = 'succeeded' AND jsonb_typeof(s.detail->'omero') = 'object'
               AND NOT EXISTS (SELECT 1 FROM job_steps u
                                WHERE u.job_id = j.id AND u.step = 'unregister' AND u.state = 'succeeded' AND u.run > s.run
                                  -- rows from before several servers name none: any unregister undid them
                                  AND (s.detail->'omero'->>'server_name' IS NULL OR u.detail->'omero_unregister'->>'server' = s.detail->'omero'->>'server_name'))
             ORDER BY s.run DESC LIMIT 1)
           UNION ALL
           SELECT s.detail->'omero', s.finished_at FROM jobs rj
             JOIN job_steps s ON s.job_id = rj.id AND s.run = rj.run AND s.step = 'omero' AND s.state = 'succeeded'
            WHERE rj.kind = 'omero_register' AND rj.source_job_id = j.id AND jsonb_typeof(s.detail->'omero') = 'object'
              AND NOT EXISTS (SELECT 1 FROM job_steps u
                               WHERE u.job_id = j.id AND u.step = 'unregister' AND u.state = 'succeeded'
                                 AND u.detail->'omero_unregister'->>'server' = rj.omero_request->>'server' AND u.finished_at > s.finished_at)
         ) r ORDER BY (r.detail->>'mode' = 'ln_s') DESC, r.finished_at DESC NULLS LAST LIMIT 1) reg ON true
      WHERE j.target_path IS NOT NULL AND j.kind = 'landing'
        AND (j.target_path = $1 OR starts_with($1, j.target_path || '/') OR starts_with(j.target_path, $1 || '/'))
      ORDER BY j.target_path, j.created_at DESC`,
    [lpath],
  );
  return rows;
}

export interface RegistrationBreak {
  readonly jobId: string;
  readonly archiveId: number;
  readonly eventId: string;
  readonly logicalPath: string;
  readonly entityType: 'data_object' | 'collection';
  readonly operation: 'renamed' | 'removed';
  readonly destination: string | undefined;
  readonly changedBy: string;
}

export async function recordBreak(db: Queryable, b: RegistrationBreak): Promise<void> {
  await db.query(
    `INSERT INTO omero_registration_breaks (job_id, archive_id, event_id, logical_path, entity_type, operation, destination_logical_path, changed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [b.jobId, b.archiveId, b.eventId, b.logicalPath, b.entityType, b.operation, b.destination ?? null, b.changedBy],
  );
}

export interface RegistrationBreakRow {
  id: number;
  job_id: string;
  archive_id: number;
  event_id: string | null;
  logical_path: string;
  entity_type: 'data_object' | 'collection';
  operation: 'renamed' | 'removed';
  destination_logical_path: string | null;
  changed_by: string;
  changed_at: Date;
  avu_written_at: Date | null;
  avu_error: string | null;
  /** Set by `omero unregister`: the registration it broke is gone (migration 0010). */
  cleared_at: Date | null;
  cleared_by_run: number | null;
}

/** The breaks recorded for these jobs and not cleared, oldest first. */
export async function breaksOfJobs(db: Queryable, jobIds: readonly string[]): Promise<RegistrationBreakRow[]> {
  if (!jobIds.length) return [];
  const { rows } = await db.query<RegistrationBreakRow>(
    'SELECT * FROM omero_registration_breaks WHERE job_id = ANY($1::uuid[]) AND cleared_at IS NULL ORDER BY id',
    [jobIds],
  );
  return rows;
}

/** Every break of the archive not cleared, oldest first: what its AVUs must say. */
export async function breaksOfArchive(db: Queryable, archiveId: number): Promise<RegistrationBreakRow[]> {
  const { rows } = await db.query<RegistrationBreakRow>('SELECT * FROM omero_registration_breaks WHERE archive_id = $1 AND cleared_at IS NULL ORDER BY id', [
    archiveId,
  ]);
  return rows;
}

/** `omero unregister` removed the registration these breaks concern (run `run` of the job); how many were cleared. */
export async function clearBreaksOfJob(db: Queryable, jobId: string, run: number): Promise<number> {
  const { rowCount } = await db.query('UPDATE omero_registration_breaks SET cleared_at = now(), cleared_by_run = $2 WHERE job_id = $1 AND cleared_at IS NULL', [
    jobId,
    run,
  ]);
  return rowCount ?? 0;
}

/** Archives whose AVUs do not show every break yet (a write failed, or has not happened). */
export async function archivesWithUnwrittenBreaks(db: Queryable, limit: number): Promise<{ archive_id: number; archive_path: string }[]> {
  const { rows } = await db.query<{ archive_id: number; archive_path: string }>(
    `SELECT DISTINCT b.archive_id, a.logical_path AS archive_path FROM omero_registration_breaks b JOIN archives a ON a.id = b.archive_id
      WHERE b.avu_written_at IS NULL AND b.cleared_at IS NULL ORDER BY b.archive_id LIMIT $1`,
    [limit],
  );
  return rows;
}

/** The archive's AVUs now show breaks up to `upToId`; `error` when they could not be written (kept for the admin, not retried). */
export async function recordBreakAvus(db: Queryable, archiveId: number, upToId: number, error?: string): Promise<void> {
  await db.query('UPDATE omero_registration_breaks SET avu_written_at = now(), avu_error = $3 WHERE archive_id = $1 AND id <= $2 AND avu_written_at IS NULL', [
    archiveId,
    upToId,
    safeText(error) ?? null,
  ]);
}
