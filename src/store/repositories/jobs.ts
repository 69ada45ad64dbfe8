import type { Queryable } from '../pool.js';
import type { ArchiveRow } from './archives.js';

// The reads of jobs; every write is a transition of the job lifecycle (../lifecycle/).

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobProgress {
  entriesDone?: number;
  entriesTotal?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

/** landing: the archive's own job (inspect … finalize); omero_register: the omero step alone, on demand. */
export type JobKind = 'landing' | 'omero_register';

/** What an operator asked of a registration on demand (mode and group null: the server's own). */
export interface OmeroRequest {
  server: string;
  mode: 'ln_s' | 'upload' | null;
  group: string | null;
}

export interface JobRow {
  id: string;
  archive_id: number;
  kind: JobKind;
  /** omero_register: the landing job whose expanded tree it registers. */
  source_job_id: string | null;
  omero_request: OmeroRequest | null;
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

export async function getJob(db: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0];
}

/** The newest landing job of the newest version of an archive path, with that version's facts. */
export async function latestJobForPath(
  db: Queryable,
  logicalPath: string,
): Promise<{ job: JobRow; archive: ArchiveRow } | undefined> {
  const { rows } = await db.query<{ job: JobRow; archive: ArchiveRow }>(
    `SELECT to_jsonb(j) AS job, to_jsonb(a) AS archive
       FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE a.logical_path = $1 AND j.kind = 'landing'
      ORDER BY a.id DESC, j.created_at DESC LIMIT 1`,
    [logicalPath],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { job: reviveJob(row.job), archive: reviveArchive(row.archive) };
}

/** Whether an operator asked to cancel the job (a running step asks at its entry boundaries). */
export async function cancelRequested(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM jobs WHERE id = $1', [id]);
  return rows[0]?.cancel_requested ?? false;
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
