import type { Queryable } from '../pool.js';
import type { ArchiveRow } from './archives.js';
import type { AuditRow } from './audit.js';
import type { JobStepRow } from './job-steps.js';
import { reviveArchive, type JobRow, type JobState } from './jobs.js';

/** What the admin API filters jobs by (every field optional; all given ones must hold). */
export interface JobFilter {
  readonly states?: readonly JobState[] | undefined;
  /** The job's current step (for a failed job: the step that failed). */
  readonly step?: string | undefined;
  readonly errorCode?: string | undefined;
  /** Archive logical path prefix, compared as a plain string prefix. */
  readonly pathPrefix?: string | undefined;
  /** The archive's uploader (the iRODS user named in the event). */
  readonly uploader?: string | undefined;
  /** The job changed (updated_at) at or after this time. */
  readonly since?: Date | undefined;
  /** The job changed (updated_at) before this time. */
  readonly until?: Date | undefined;
  /** Only queued or running jobs unchanged for at least this many seconds. */
  readonly stuckAfterSeconds?: number | undefined;
  /** Only the newest job of the newest version of each archive path (older ones are superseded). */
  readonly latestOnly?: boolean | undefined;
  /** Jobs whose id starts with these hex digits (dashes ignored): how people type ids they read. */
  readonly idPrefix?: string | undefined;
}

/** The lowest and highest uuid starting with `prefix`: a range the primary key's index answers. */
function uuidRange(prefix: string): [string, string] {
  const hex = prefix.replace(/-/g, '').toLowerCase().slice(0, 32);
  return [hex.padEnd(32, '0'), hex.padEnd(32, 'f')];
}

/** A job with its archive and its position in the listing. */
export interface JobListing extends JobRow {
  readonly seq: number;
  readonly state_changed_at: Date;
  readonly archive: ArchiveRow;
}

function whereClause(filter: JobFilter, values: unknown[]): string {
  const where: string[] = [];
  const bind = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.states?.length) where.push(`j.state = ANY(${bind(filter.states)}::text[])`);
  if (filter.step) where.push(`j.step = ${bind(filter.step)}`);
  if (filter.errorCode) where.push(`j.error_code = ${bind(filter.errorCode)}`);
  if (filter.pathPrefix) where.push(`starts_with(a.logical_path, ${bind(filter.pathPrefix)})`);
  if (filter.uploader) where.push(`a.uploader = ${bind(filter.uploader)}`);
  if (filter.since) where.push(`j.updated_at >= ${bind(filter.since)}`);
  if (filter.until) where.push(`j.updated_at < ${bind(filter.until)}`);
  if (filter.stuckAfterSeconds !== undefined) where.push(stuckCondition(bind(filter.stuckAfterSeconds)));
  if (filter.idPrefix) {
    const [low, high] = uuidRange(filter.idPrefix);
    where.push(`j.id BETWEEN ${bind(low)}::uuid AND ${bind(high)}::uuid`);
  }
  if (filter.latestOnly) {
    // A registration on demand is current while its landing job is.
    where.push(`COALESCE(j.source_job_id, j.id) = (SELECT j2.id FROM jobs j2 JOIN archives a2 ON a2.id = j2.archive_id
      WHERE a2.logical_path = a.logical_path AND j2.kind = 'landing' ORDER BY a2.id DESC, j2.created_at DESC LIMIT 1)`);
  }
  return where.length ? where.join(' AND ') : 'true';
}

/**
 * Queued or running, and nothing recorded for `seconds`: no progress, no state change. A queued
 * job still inside its debounce window (not_before ahead) is waiting, not stuck.
 */
function stuckCondition(secondsParam: string): string {
  return `j.state IN ('queued', 'running') AND j.updated_at < now() - ${secondsParam} * interval '1 second'
    AND (j.not_before IS NULL OR j.not_before < now())`;
}

function reviveListing(row: JobListing & { archive: ArchiveRow }): JobListing {
  return { ...row, archive: reviveArchive(row.archive) };
}

/** One page of jobs, newest first; `beforeSeq` continues after the last row of the previous page. */
export async function listJobs(db: Queryable, filter: JobFilter, page: { limit: number; beforeSeq?: number | undefined }): Promise<JobListing[]> {
  const values: unknown[] = [];
  let where = whereClause(filter, values);
  if (page.beforeSeq !== undefined) {
    values.push(page.beforeSeq);
    where += ` AND j.seq < $${values.length}`;
  }
  values.push(page.limit);
  const { rows } = await db.query<JobListing>(
    `SELECT j.*, to_jsonb(a) AS archive FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE ${where} ORDER BY j.seq DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map(reviveListing);
}

export async function countJobs(db: Queryable, filter: JobFilter): Promise<number> {
  const values: unknown[] = [];
  const where = whereClause(filter, values);
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE ${where}`,
    values,
  );
  return rows[0]?.n ?? 0;
}

export async function getJobListing(db: Queryable, id: string): Promise<JobListing | undefined> {
  const { rows } = await db.query<JobListing>(
    `SELECT j.*, to_jsonb(a) AS archive FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE j.id = $1`,
    [id],
  );
  const row = rows[0];
  return row ? reviveListing(row) : undefined;
}

/**
 * The landing job an operator names by archive or tree (an omero_register job shares the
 * archive and the tree, and is never the one meant): the newest of archive version
 * `archiveId`; or for a path, the newest of the newest version of the archive at that path,
 * else the newest whose expanded tree is rooted there.
 */
export async function jobForArchiveOrTree(db: Queryable, target: { readonly archiveId: number } | { readonly path: string }): Promise<JobListing | undefined> {
  const select = `SELECT j.*, to_jsonb(a) AS archive FROM jobs j JOIN archives a ON a.id = j.archive_id`;
  const { rows } =
    'archiveId' in target
      ? await db.query<JobListing>(`${select} WHERE a.id = $1 AND j.kind = 'landing' ORDER BY j.created_at DESC LIMIT 1`, [target.archiveId])
      : await db.query<JobListing>(
          `(${select} WHERE a.logical_path = $1 AND j.kind = 'landing' ORDER BY a.id DESC, j.created_at DESC LIMIT 1)
           UNION ALL
           (${select} WHERE j.target_path = $1 AND j.kind = 'landing' ORDER BY j.created_at DESC LIMIT 1)`,
          [target.path],
        );
  const row = rows[0];
  return row ? reviveListing(row) : undefined;
}

/** Jobs per state and current step (the ioa_jobs gauge). */
export async function jobCountsByStateAndStep(db: Queryable): Promise<{ state: JobState; step: string; n: number }[]> {
  const { rows } = await db.query<{ state: JobState; step: string; n: number }>(
    'SELECT state, step, count(*)::int AS n FROM jobs GROUP BY state, step',
  );
  return rows;
}

export async function countStuckJobs(db: Queryable, stuckAfterSeconds: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs j WHERE ${stuckCondition('$1')}`, [stuckAfterSeconds]);
  return rows[0]?.n ?? 0;
}

/** Whether `lpath` lies inside the expanded tree of any job (the agent's own output). */
export async function pathsInsideTargets(db: Queryable, lpaths: readonly string[]): Promise<Set<string>> {
  if (!lpaths.length) return new Set();
  const { rows } = await db.query<{ lpath: string }>(
    `SELECT p.lpath FROM unnest($1::text[]) AS p(lpath)
      WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.target_path IS NOT NULL AND starts_with(p.lpath, j.target_path || '/'))`,
    [lpaths],
  );
  return new Set(rows.map((r) => r.lpath));
}

/** The newest archive version recorded for each of `lpaths`. */
export async function latestArchivesForPaths(db: Queryable, lpaths: readonly string[]): Promise<Map<string, ArchiveRow>> {
  if (!lpaths.length) return new Map();
  const { rows } = await db.query<ArchiveRow>(
    `SELECT DISTINCT ON (logical_path) * FROM archives WHERE logical_path = ANY($1::text[]) ORDER BY logical_path, id DESC`,
    [lpaths],
  );
  return new Map(rows.map((r) => [r.logical_path, r]));
}

/** A page of a job's audit trail, oldest first, after audit id `afterId`. */
export async function auditPage(db: Queryable, jobId: string, page: { limit: number; afterId?: number | undefined }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>('SELECT * FROM audit WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3', [
    jobId,
    page.afterId ?? 0,
    page.limit,
  ]);
  return rows;
}

export async function auditCount(db: Queryable, jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit WHERE job_id = $1', [jobId]);
  return rows[0]?.n ?? 0;
}

/** Position in the archives feed: the transaction that last changed the job's state, then the job id. */
export interface FeedPosition {
  readonly xid: string;
  readonly id: string;
}

export interface FeedRow extends JobListing {
  /** xid8 as text. */
  readonly state_xid: string;
}

/**
 * The archives feed: jobs in the order their state last changed, after `after`. Only changes
 * made by transactions older than every transaction still running are shown, so an item can
 * never appear behind a position already handed out (see migration 0002).
 */
export async function archivesFeed(
  db: Queryable,
  query: { states?: readonly JobState[] | undefined; since?: Date | undefined; after?: FeedPosition | undefined; limit: number },
): Promise<FeedRow[]> {
  const values: unknown[] = [];
  // Registrations on demand show in their landing job's item (which they move to the end), not as items of their own.
  const where = ['j.state_xid < pg_snapshot_xmin(pg_current_snapshot())', "j.kind = 'landing'"];
  const bind = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (query.states?.length) where.push(`j.state = ANY(${bind(query.states)}::text[])`);
  if (query.since) where.push(`j.state_changed_at >= ${bind(query.since)}`);
  if (query.after) where.push(`(j.state_xid, j.id) > (${bind(query.after.xid)}::xid8, ${bind(query.after.id)}::uuid)`);
  const { rows } = await db.query<FeedRow>(
    `SELECT j.*, j.state_xid::text AS state_xid, to_jsonb(a) AS archive FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE ${where.join(' AND ')} ORDER BY j.state_xid, j.id LIMIT ${bind(query.limit)}`,
    values,
  );
  return rows.map((r) => ({ ...r, archive: reviveArchive(r.archive) }));
}

/** The step rows of the given (job, run) pairs. */
export async function stepsForRuns(db: Queryable, runs: readonly { jobId: string; run: number }[]): Promise<JobStepRow[]> {
  if (!runs.length) return [];
  const { rows } = await db.query<JobStepRow>(
    `SELECT s.* FROM job_steps s
       JOIN unnest($1::uuid[], $2::int[]) AS r(job_id, run) ON r.job_id = s.job_id AND r.run = s.run
      ORDER BY s.job_id, s.started_at NULLS LAST`,
    [runs.map((r) => r.jobId), runs.map((r) => r.run)],
  );
  return rows;
}

/** The newest landing job of the newest archive version of each path (a job that is not it is superseded). */
export async function latestJobIdsForPaths(db: Queryable, lpaths: readonly string[]): Promise<Map<string, string>> {
  if (!lpaths.length) return new Map();
  const { rows } = await db.query<{ logical_path: string; id: string }>(
    `SELECT DISTINCT ON (a.logical_path) a.logical_path, j.id FROM jobs j JOIN archives a ON a.id = j.archive_id
      WHERE a.logical_path = ANY($1::text[]) AND j.kind = 'landing' ORDER BY a.logical_path, a.id DESC, j.created_at DESC`,
    [lpaths],
  );
  return new Map(rows.map((r) => [r.logical_path, r.id]));
}
