import type { Queryable } from '../pool.js';
import { safeJson, safeText } from '../safe-text.js';
import type { ArchiveRow } from './archives.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobProgress {
  entriesDone?: number;
  entriesTotal?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

export interface JobRow {
  id: string;
  archive_id: number;
  state: JobState;
  step: string;
  run: number;
  target_path: string | null;
  flags: string[];
  warnings: string[];
  error_code: string | null;
  error_message: string | null;
  error_entry: string | null;
  irods_status: number | null;
  progress: JobProgress;
  cancel_requested: boolean;
  /** The status this run last wrote in the archive's AVUs (expanded, failed, …); null: none yet. */
  archive_status: string | null;
  not_before: Date | null;
  enqueued_at: Date | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export async function insertJob(db: Queryable, archiveId: number, firstStep: string, notBefore: Date | null): Promise<JobRow> {
  const { rows } = await db.query<JobRow>(
    `INSERT INTO jobs (archive_id, step, not_before) VALUES ($1, $2, $3) RETURNING *`,
    [archiveId, firstStep, notBefore],
  );
  return rows[0] as JobRow;
}

export async function getJob(db: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0];
}

/** The newest job of the newest version of an archive path, with that version's facts. */
export async function latestJobForPath(
  db: Queryable,
  logicalPath: string,
): Promise<{ job: JobRow; archive: ArchiveRow } | undefined> {
  const { rows } = await db.query<{ job: JobRow; archive: ArchiveRow }>(
    `SELECT to_jsonb(j) AS job, to_jsonb(a) AS archive
       FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE a.logical_path = $1
      ORDER BY a.id DESC, j.created_at DESC LIMIT 1`,
    [logicalPath],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { job: reviveJob(row.job), archive: reviveArchive(row.archive) };
}

export async function markEnqueued(db: Queryable, id: string, run: number, step: string): Promise<void> {
  await db.query('UPDATE jobs SET enqueued_at = now() WHERE id = $1 AND run = $2 AND step = $3', [id, run, step]);
}

/**
 * The outbox condition: a job not marked enqueued whose step should have started more than
 * `graceSeconds` ago (its last change, or the end of its debounce). The intake does not mark the
 * first step enqueued (a second write per event); the step marks it when it starts (markRunning).
 */
const OUTBOX = `enqueued_at IS NULL AND state IN ('queued', 'running')
  AND GREATEST(updated_at, COALESCE(not_before, updated_at)) <= now() - make_interval(secs => $1::double precision)`;

/** Jobs in the outbox, oldest first, locked so two agents do not both take one. */
export async function claimOutbox(db: Queryable, limit: number, graceSeconds: number): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(`SELECT * FROM jobs WHERE ${OUTBOX} ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [
    graceSeconds,
    limit,
  ]);
  return rows;
}

export async function countOutbox(db: Queryable, graceSeconds: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE ${OUTBOX}`, [graceSeconds]);
  return rows[0]?.n ?? 0;
}

export async function updateJob(
  db: Queryable,
  id: string,
  patch: Partial<
    Pick<JobRow, 'state' | 'step' | 'target_path' | 'error_code' | 'error_message' | 'error_entry' | 'irods_status' | 'cancel_requested' | 'not_before' | 'archive_status'>
  > & {
    enqueued?: 'clear';
    started?: boolean;
    finished?: boolean;
  },
): Promise<JobRow | undefined> {
  const sets: string[] = ['updated_at = now()'];
  const values: unknown[] = [id];
  for (const key of ['state', 'step', 'target_path', 'error_code', 'error_message', 'error_entry', 'irods_status', 'cancel_requested', 'not_before', 'archive_status'] as const) {
    if (key in patch) {
      const value = patch[key];
      values.push(typeof value === 'string' ? safeText(value) : value);
      sets.push(`${key} = $${values.length}`);
    }
  }
  if (patch.enqueued === 'clear') sets.push('enqueued_at = NULL');
  if (patch.started) sets.push('started_at = COALESCE(started_at, now())');
  if (patch.finished) sets.push('finished_at = now()');
  const { rows } = await db.query<JobRow>(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, values);
  return rows[0];
}

export async function addJobFlags(db: Queryable, id: string, flags: readonly string[], warnings: readonly string[]): Promise<void> {
  if (!flags.length && !warnings.length) return;
  await db.query(
    `UPDATE jobs SET
       flags = ARRAY(SELECT DISTINCT f FROM unnest(flags || $2::text[]) AS f ORDER BY f),
       warnings = (SELECT COALESCE(jsonb_agg(DISTINCT w), '[]'::jsonb) FROM jsonb_array_elements(warnings || $3::jsonb) AS w),
       updated_at = now()
     WHERE id = $1`,
    [id, flags.map((f) => safeText(f)), safeJson(warnings)],
  );
}

export async function setJobProgress(db: Queryable, id: string, progress: JobProgress): Promise<void> {
  await db.query(`UPDATE jobs SET progress = progress || $2::jsonb, updated_at = now() WHERE id = $1`, [id, safeJson(progress)]);
}

/**
 * Marks a job running for a step attempt, unless it was cancelled or finished meanwhile (a cancel
 * landing between the runner's read and this write must win). Undefined when it was not marked.
 */
export async function markRunning(db: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    // A worker got the step from BullMQ: it was enqueued, whether or not anyone marked it.
    // A job waiting for iRODS to accept the agent's login carries that reason until it runs again.
    `UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, now()), updated_at = now(),
            enqueued_at = COALESCE(enqueued_at, now()),
            error_code = NULL, error_message = NULL, error_entry = NULL, irods_status = NULL
      WHERE id = $1 AND state IN ('queued', 'running') AND NOT cancel_requested RETURNING *`,
    [id],
  );
  return rows[0];
}

/**
 * Starts a new run of a job from `step`: clears the error, bumps `run` (fresh BullMQ ids) and puts
 * it back in the outbox. Only for jobs that are not running.
 *
 * Flags and warnings are rebuilt from what the steps BEFORE `step` raised (each step keeps its
 * own on its job_steps row): whatever `step` and later steps said last time is forgotten, since
 * they run again (e.g. a no_user_mapping warning, once the admin fixed the mapping). Steps run in
 * order, so "before" is "the latest attempt of that step started before the latest of `step`".
 */
export async function restartJob(db: Queryable, id: string, step: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `WITH latest AS (
       SELECT DISTINCT ON (s.step) s.step, s.started_at, s.detail
         FROM job_steps s WHERE s.job_id = $1 ORDER BY s.step, s.run DESC
     ), cut AS (
       SELECT started_at FROM latest WHERE step = $2
     ), kept AS (
       SELECT detail FROM latest
        WHERE step <> $2 AND ((SELECT started_at FROM cut) IS NULL OR started_at < (SELECT started_at FROM cut))
     )
     UPDATE jobs SET state = 'queued', step = $2, run = run + 1, error_code = NULL, error_message = NULL,
       error_entry = NULL, irods_status = NULL, cancel_requested = false, enqueued_at = NULL, archive_status = NULL,
       not_before = NULL, finished_at = NULL, updated_at = now(),
       flags = ARRAY(SELECT DISTINCT f FROM kept, jsonb_array_elements_text(COALESCE(kept.detail->'job_flags', '[]'::jsonb)) AS f ORDER BY f),
       warnings = COALESCE((SELECT jsonb_agg(DISTINCT w) FROM kept, jsonb_array_elements(COALESCE(kept.detail->'job_warnings', '[]'::jsonb)) AS w), '[]'::jsonb)
     WHERE id = $1 AND state IN ('failed', 'cancelled', 'succeeded') RETURNING *`,
    [id, step],
  );
  return rows[0];
}

/**
 * Fails a job that is still queued or running at this run and step (guarded: a worker that
 * recorded the outcome meanwhile, or a replay, wins). Undefined when nothing changed.
 */
export async function failAtStep(
  db: Queryable,
  at: { readonly id: string; readonly run: number; readonly step: string },
  error: { readonly code: string; readonly message: string },
): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET state = 'failed', error_code = $4, error_message = $5, finished_at = now(), updated_at = now()
      WHERE id = $1 AND run = $2 AND step = $3 AND state IN ('queued', 'running') RETURNING *`,
    [at.id, at.run, at.step, safeText(error.code), safeText(error.message)],
  );
  return rows[0];
}

/**
 * Jobs handed to BullMQ (enqueued_at set) that are queued or running and have not changed for
 * `quietSeconds`, oldest first: the ones whose worker may be gone.
 */
export async function quietScheduledJobs(db: Queryable, quietSeconds: number, limit: number): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT * FROM jobs WHERE state IN ('queued', 'running') AND enqueued_at IS NOT NULL
        AND updated_at < now() - make_interval(secs => $1::double precision)
      ORDER BY updated_at LIMIT $2`,
    [quietSeconds, limit],
  );
  return rows;
}

/** The status AVU value a job in `state` shows on its archive once it has finished. */
const FINAL_ARCHIVE_STATUS = `CASE j.state WHEN 'succeeded' THEN 'expanded' ELSE j.state END`;

/** Remembers that run `run` of the job wrote `status` on its archive (ignored if a replay moved on). */
export async function recordArchiveStatus(db: Queryable, id: string, run: number, status: string): Promise<void> {
  await db.query('UPDATE jobs SET archive_status = $3 WHERE id = $1 AND run = $2', [id, run, status]);
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
export async function pendingArchiveStatuses(db: Queryable, limit: number, withinSeconds: number): Promise<PendingArchiveStatus[]> {
  const { rows } = await db.query<{ job: JobRow; logical_path: string }>(
    `SELECT to_jsonb(j) AS job, a.logical_path FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE j.state IN ('succeeded', 'failed', 'cancelled')
        AND j.archive_status IS DISTINCT FROM ${FINAL_ARCHIVE_STATUS}
        AND j.finished_at > now() - make_interval(secs => $2::double precision)
        AND NOT EXISTS (SELECT 1 FROM jobs j2 JOIN archives a2 ON a2.id = j2.archive_id
                         WHERE a2.logical_path = a.logical_path AND j2.id <> j.id
                           AND (a2.id > a.id OR (a2.id = a.id AND j2.created_at > j.created_at)))
      ORDER BY j.finished_at LIMIT $1`,
    [limit, withinSeconds],
  );
  return rows.map((r) => ({ job: reviveJob(r.job), logicalPath: r.logical_path }));
}

/** The state a finished job shows on its archive, if it is still that state and run. */
export async function recordFinalArchiveStatus(db: Queryable, job: Pick<JobRow, 'id' | 'run' | 'state'>): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs j SET archive_status = ${FINAL_ARCHIVE_STATUS} WHERE j.id = $1 AND j.run = $2 AND j.state = $3`,
    [job.id, job.run, job.state],
  );
  return rowCount === 1;
}

function date(v: unknown): Date | null {
  return v === null || v === undefined ? null : new Date(v as string);
}

/** Rows read through to_jsonb come back with dates as strings. */
export function reviveJob(raw: JobRow): JobRow {
  return {
    ...raw,
    not_before: date(raw.not_before),
    enqueued_at: date(raw.enqueued_at),
    created_at: date(raw.created_at) as Date,
    updated_at: date(raw.updated_at) as Date,
    started_at: date(raw.started_at),
    finished_at: date(raw.finished_at),
  };
}

export function reviveArchive(raw: ArchiveRow): ArchiveRow {
  return {
    ...raw,
    modified_at: date(raw.modified_at),
    created_at: date(raw.created_at) as Date,
    updated_at: date(raw.updated_at) as Date,
  };
}
