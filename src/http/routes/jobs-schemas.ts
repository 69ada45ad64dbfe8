import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { adminSchema, Detail, ErrorReply, FINISHED_STATES, JOB_STATES, JobSummaryView, StepNameSchema } from './admin-views.js';

/**
 * The jobs routes' schemas: what each route takes and answers. TypeBox, so one declaration
 * validates the request, documents it in OpenAPI and types the handler and the admin client.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const DateTime = Type.String({ format: 'date-time' });

export const FilterProperties = {
  step: Type.Optional(StepNameSchema),
  error_code: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'e.g. target_exists, irods_error' })),
  path_prefix: Type.Optional(Type.String({ pattern: '^/', maxLength: 2700, description: 'archive logical path prefix' })),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the uploader (the iRODS user of the event)' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'changed at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'changed before' })),
};

export const ListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.String({ pattern: `^(${JOB_STATES.join('|')})(,(${JOB_STATES.join('|')}))*$`, description: 'one or more states, comma-separated' }),
    ),
    ...FilterProperties,
    stuck: Type.Optional(Type.Boolean({ description: 'true: only queued or running jobs unchanged for longer than AGENT_STUCK_AFTER_SECONDS' })),
    id_prefix: Type.Optional(
      Type.String({ pattern: '^[0-9a-fA-F]{8}[0-9a-fA-F-]{0,28}$', description: 'jobs whose id starts with these hex digits (at least 8), as the CLI resolves a short id' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page (same filters)' })),
  },
  { additionalProperties: false },
);

export const JobPage = Type.Object({
  items: Type.Array(JobSummaryView),
  next_cursor: Nullable(Type.String({ description: 'pass as cursor for the next page; null on the last page' })),
});

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const WorkerView = Type.Object(
  { host: Type.String(), pid: Type.Integer() },
  { description: 'the host and process (its id) that did it' },
);

export const AttemptView = Type.Object({
  attempt: Type.Integer(),
  worker: WorkerView,
  started_at: DateTime,
  finished_at: Nullable(DateTime),
  state: Type.String({ description: 'running, succeeded, failed, retried (failed, tried again), rescheduled (not ready yet), skipped, cancelled' }),
  error_code: Nullable(Type.String()),
});

export const StepView = Type.Object({
  run: Type.Integer(),
  step: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  started_at: Nullable(DateTime),
  finished_at: Nullable(DateTime),
  seconds: Nullable(Type.Number({ description: 'duration of the last attempt' })),
  error: Nullable(Type.Object({ code: Nullable(Type.String()), message: Nullable(Type.String()) })),
  detail: Detail,
  worker: Nullable(WorkerView),
  attempt_history: Type.Array(AttemptView, { description: 'every attempt, oldest first, with the process that made it' }),
});

export const EventView = Type.Object({
  id: Type.String(),
  received_at: DateTime,
  type: Nullable(Type.String()),
  verdict: Type.String(),
  reason: Nullable(Type.String()),
  http_status: Type.Integer(),
  webhook_id: Nullable(Type.String()),
});

export const AuditView = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  action: Type.String(),
  lpath: Type.String(),
  detail: Detail,
  worker: Nullable(WorkerView),
});

export const AuditPage = Type.Object({
  total: Type.Integer(),
  items: Type.Array(AuditView),
  next_cursor: Nullable(Type.String()),
});

export const AdminActionView = Type.Object({ at: DateTime, action: Type.String(), actor: Type.String(), detail: Detail });

export const JobDetail = Type.Object({
  ...JobSummaryView.properties,
  steps: Type.Array(StepView, { description: 'every run, oldest first' }),
  entries: Type.Object(
    { pending: Type.Integer(), writing: Type.Integer(), written: Type.Integer(), failed: Type.Integer(), bytes_written: Type.Integer() },
    { description: 'archive entries recorded by the expansion, by state' },
  ),
  events: Type.Array(EventView, { description: 'the webhook events that led to this job' }),
  admin_actions: Type.Array(AdminActionView, { description: 'replays, cancels and sweeps concerning this job' }),
  audit: AuditPage,
});

export const DetailQuery = Type.Object(
  { audit_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'audit rows included (page on with /audit)' })) },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);

export const ReplayBody = Type.Object(
  { from: Type.Optional(StepNameSchema) },
  { additionalProperties: false, description: 'from: the step to start at (default: where the job stopped; the first step for a succeeded job)' },
);

export const ReplayChoiceView = Type.Object({
  job_id: Type.String(),
  path: Type.String(),
  from: Type.String(),
  previous_state: Type.String(),
  previous_step: Type.String(),
  error_code: Nullable(Type.String()),
});

export const BulkReplayBody = Type.Object(
  {
    state: Type.Optional(
      Type.String({
        pattern: `^(${FINISHED_STATES.join('|')})(,(${FINISHED_STATES.join('|')}))*$`,
        default: 'failed',
        description: 'finished states to replay, comma-separated (default failed)',
      }),
    ),
    ...FilterProperties,
    from: Type.Optional(StepNameSchema),
    dry_run: Type.Optional(Type.Boolean({ default: false, description: 'answer what would be replayed; change nothing' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, description: 'at most this many (capped by AGENT_REPLAY_LIMIT)' })),
  },
  { additionalProperties: false },
);

export const BulkReplayReply = Type.Object({
  dry_run: Type.Boolean(),
  matched: Type.Integer({ description: 'jobs matching the filter' }),
  limit: Type.Integer(),
  truncated: Type.Boolean({ description: 'more matched than the limit: call again to continue' }),
  replayed: Type.Array(ReplayChoiceView, { description: 'replayed (dry run: would be replayed)' }),
  refused: Type.Array(Type.Object({ job_id: Type.String(), path: Type.String(), code: Type.String(), message: Type.String() })),
});

export const CancelReply = Type.Object({
  job_id: Type.String(),
  outcome: Type.Union([Type.Literal('cancelled'), Type.Literal('cancel_requested')]),
  state: Type.String(),
  step: Type.String(),
});

/** The shapes of the answers, for clients (the CLI) written against this API. */
export type JobPage = Static<typeof JobPage>;
export type JobDetail = Static<typeof JobDetail>;
export type ReplayChoiceReply = Static<typeof ReplayChoiceView>;
export type BulkReplayReply = Static<typeof BulkReplayReply>;
export type CancelReply = Static<typeof CancelReply>;
/** What the admin client sends: the routes' own schemas, so a new filter cannot be forgotten there. */
export type JobListQuery = Static<typeof ListQuery>;
export type BulkReplayRequest = Static<typeof BulkReplayBody>;

// The routes: what each validates and how the OpenAPI document at /docs shows it.

const refusals = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };

export const ListJobsRoute = adminSchema('jobs', 'List jobs, newest first, with filters and cursor paging', {
  querystring: ListQuery,
  response: { 200: JobPage, 400: ErrorReply, 401: ErrorReply },
});

export const JobDetailRoute = adminSchema('jobs', 'One job: archive, steps with attempts and timings, errors, progress, events, admin actions, audit trail', {
  params: IdParams,
  querystring: DetailQuery,
  response: { 200: JobDetail, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
});

export const JobAuditRoute = adminSchema('jobs', "A job's audit trail (every change made in iRODS), oldest first, paged", {
  params: IdParams,
  querystring: AuditQuery,
  response: { 200: AuditPage, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
});

export const ReplayRoute = adminSchema('jobs', 'Replay one finished job (operator)', {
  description:
    'Starts a new run from the step where the job stopped (or `from`). Only failed, cancelled or succeeded jobs; 409 otherwise, and for a job superseded by a newer version of its archive.',
  params: IdParams,
  body: ReplayBody,
  response: { 202: ReplayChoiceView, ...refusals },
});

export const BulkReplayRoute = adminSchema('jobs', 'Replay every finished job matching a filter (operator); dry_run first', {
  description:
    'Only the newest job of each archive path is considered. At most `limit` jobs (AGENT_REPLAY_LIMIT at most), newest first; `truncated` says when to call again.',
  body: BulkReplayBody,
  response: { 200: BulkReplayReply, ...refusals },
});

export const CancelRoute = adminSchema('jobs', 'Cancel a queued or running job (operator)', {
  description:
    'A queued job (or one waiting between attempts) is cancelled at once (200, outcome cancelled). A step running on a worker stops at its next entry boundary (202, outcome cancel_requested); poll the job for state cancelled.',
  params: IdParams,
  body: Type.Object({}, { additionalProperties: false }),
  response: { 200: CancelReply, 202: CancelReply, ...refusals },
});
