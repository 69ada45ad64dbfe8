import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import type { Config } from '../../config/index.js';
import { STEP_ORDER, type ArchiveRow, type JobProgress, type JobState, type StepName as PipelineStep } from '../../store/index.js';
import type { JobListing } from '../../store/repositories/job-search.js';
import { HttpError } from '../http-errors.js';

/**
 * How the admin API shows jobs and archives, as TypeBox schemas (they validate, serialise and
 * become the OpenAPI document at /docs) and the functions that turn rows into them.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

/** What every admin route declares for OpenAPI: a bearer token from AGENT_ADMIN_TOKENS. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

/** An admin route's schema: its summary, its tag and the admin token, then what it validates. */
export function adminSchema<S extends object>(tag: 'jobs' | 'archives' | 'omero', summary: string, schema: S) {
  return { summary, tags: [tag], security: ADMIN_SECURITY, ...schema };
}

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly JobState[];
export const FINISHED_STATES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly JobState[];

/** A string enum (one `enum` keyword in the OpenAPI document rather than a union of constants). */
const stringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

export const StepNameSchema = stringEnum<PipelineStep>(STEP_ORDER, 'a pipeline step');
export const JobStateSchema = stringEnum<JobState>(JOB_STATES);

/** `failed` or `failed,cancelled`: one or several states, comma-separated. */
export function stateListSchema(states: readonly string[], description: string) {
  const one = `(${states.join('|')})`;
  return Type.String({ pattern: `^${one}(,${one})*$`, description });
}

export function parseStates(value: string | undefined): JobState[] | undefined {
  return value ? [...new Set(value.split(','))].filter((s): s is JobState => (JOB_STATES as readonly string[]).includes(s)) : undefined;
}

export const ArchiveView = Type.Object({
  id: Type.Integer(),
  zone: Type.String(),
  path: Type.String({ description: 'logical path of the archive data object' }),
  size: Nullable(Type.Integer()),
  checksum: Nullable(Type.String()),
  modified_at: Nullable(DateTime),
  uploader: Nullable(Type.String({ description: 'the iRODS user named in the event' })),
  resource: Nullable(Type.String()),
  format: Nullable(Type.String({ description: 'zip or tar, once inspected' })),
});

export const JobErrorView = Nullable(
  Type.Object({
    code: Type.String({ description: 'stable error code, e.g. target_exists, irods_error' }),
    message: Nullable(Type.String()),
    entry: Nullable(Type.String({ description: 'the archive entry being processed, when the error concerns one' })),
    irods_status: Nullable(Type.Integer({ description: 'iRODS error code (negative), when iRODS refused' })),
  }),
);

export const ProgressView = Type.Object({
  entries_done: Nullable(Type.Integer()),
  entries_total: Nullable(Type.Integer()),
  bytes_done: Nullable(Type.Integer()),
  bytes_total: Nullable(Type.Integer()),
});

export const OmeroRequestView = Type.Object(
  { server: Type.String(), mode: Nullable(Type.String()), group: Nullable(Type.String()) },
  { description: "what the operator asked for (mode and group null: the server's own)" },
);

export const JobSummaryView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union([Type.Literal('landing'), Type.Literal('omero_register')], {
    description: "landing: the archive's own job (inspect … finalize); omero_register: a registration in OMERO asked for later (the omero step alone)",
  }),
  source_job_id: Nullable(Type.String({ format: 'uuid', description: 'omero_register: the job that expanded the archive' })),
  omero_request: Nullable(OmeroRequestView),
  state: JobStateSchema,
  step: Type.String({ description: 'current step; for a failed or cancelled job, the step where it stopped' }),
  run: Type.Integer({ description: '1, then +1 on each replay' }),
  archive: ArchiveView,
  target_path: Nullable(Type.String({ description: 'the collection the archive expands into' })),
  flags: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
  error: JobErrorView,
  progress: ProgressView,
  cancel_requested: Type.Boolean(),
  stuck: Type.Boolean({ description: 'queued or running and unchanged for longer than AGENT_STUCK_AFTER_SECONDS' }),
  created_at: DateTime,
  updated_at: DateTime,
  state_changed_at: DateTime,
  started_at: Nullable(DateTime),
  finished_at: Nullable(DateTime),
});
export type JobSummaryView = Static<typeof JobSummaryView>;

export const Detail = Type.Record(Type.String(), Type.Unknown(), { description: 'what the step recorded (counts, decisions, summaries)' });

export const ErrorReply = Type.Object({ error: Type.String(), message: Type.String() });

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);

export function archiveView(a: ArchiveRow): Static<typeof ArchiveView> {
  return {
    id: a.id,
    zone: a.zone,
    path: a.logical_path,
    size: a.size,
    checksum: a.checksum,
    modified_at: iso(a.modified_at),
    uploader: a.uploader,
    resource: a.resource,
    format: a.format,
  };
}

export function progressView(p: JobProgress): Static<typeof ProgressView> {
  return {
    entries_done: count(p.entriesDone),
    entries_total: count(p.entriesTotal),
    bytes_done: count(p.bytesDone),
    bytes_total: count(p.bytesTotal),
  };
}

/** Queued or running, unchanged for `stuckAfterSeconds`, and not waiting out its debounce. */
export function isStuck(job: Pick<JobListing, 'state' | 'updated_at' | 'not_before'>, stuckAfterSeconds: number, now = Date.now()): boolean {
  if (job.state !== 'queued' && job.state !== 'running') return false;
  if (job.not_before && job.not_before.getTime() > now) return false;
  return now - job.updated_at.getTime() > stuckAfterSeconds * 1000;
}

export function jobSummaryView(job: JobListing, config: Config): JobSummaryView {
  return {
    id: job.id,
    kind: job.kind,
    source_job_id: job.source_job_id,
    omero_request: job.omero_request,
    state: job.state,
    step: job.step,
    run: job.run,
    archive: archiveView(job.archive),
    target_path: job.target_path,
    flags: job.flags,
    warnings: job.warnings.map(String),
    error: job.error_code
      ? { code: job.error_code, message: job.error_message, entry: job.error_entry, irods_status: job.irods_status }
      : null,
    progress: progressView(job.progress),
    cancel_requested: job.cancel_requested,
    stuck: isStuck(job, config.sweeper.stuckAfterSeconds),
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    state_changed_at: job.state_changed_at.toISOString(),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
  };
}

export const isoDate = iso;

/**
 * Cursors are opaque to clients (base64url JSON with a version), so their content can change
 * without breaking anyone; a cursor that does not decode is a 400, never a silent restart.
 */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...value }), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, read: (raw: Record<string, unknown>) => T | undefined): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const value = raw && typeof raw === 'object' && (raw as { v?: unknown }).v === 1 ? read(raw as Record<string, unknown>) : undefined;
  if (value === undefined) throw new HttpError(400, 'invalid_cursor', 'the cursor is not one this API handed out');
  return value;
}

export function parseDate(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new HttpError(400, 'invalid_request', `${name} is not a date-time`);
  return d;
}
