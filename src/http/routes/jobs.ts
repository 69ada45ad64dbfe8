import { Type, type Static, type TSchema, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import type { IrodsClient } from '../../irods/types.js';
import type { Logger } from '../../logging/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { CancelRefused, cancelJob } from '../../pipeline/cancel.js';
import type { PipelineQueues } from '../../pipeline/queues.js';
import { ReplayRefused, replayJob, replayMatching, type ReplayChoice } from '../../pipeline/replay.js';
import { entries, events, jobSteps, type AuditRow, type JobStepRow } from '../../store/index.js';
import type { StepAttemptRow } from '../../store/repositories/job-steps.js';
import { adminActionsForJob } from '../../store/repositories/admin-actions.js';
import { auditCount, auditPage, getJobListing, listJobs, type JobFilter } from '../../store/repositories/job-search.js';
import { HttpError } from '../http-errors.js';
import { adminAuth, type AdminTokens } from '../plugins/admin-auth.js';
import {
  Detail,
  ErrorReply,
  FINISHED_STATES,
  JOB_STATES,
  JobSummaryView,
  StepNameSchema,
  decodeCursor,
  encodeCursor,
  isoDate,
  jobSummaryView,
  parseDate,
  parseStates,
} from './admin-views.js';

export interface AdminRouteDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly tokens: AdminTokens;
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const SECURITY = [{ adminToken: [] }];

const FilterProperties = {
  step: Type.Optional(StepNameSchema),
  error_code: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'e.g. target_exists, irods_error' })),
  path_prefix: Type.Optional(Type.String({ pattern: '^/', maxLength: 2700, description: 'archive logical path prefix' })),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the uploader (the iRODS user of the event)' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'changed at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'changed before' })),
};

const ListQuery = Type.Object(
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

const JobPage = Type.Object({
  items: Type.Array(JobSummaryView),
  next_cursor: Nullable(Type.String({ description: 'pass as cursor for the next page; null on the last page' })),
});

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const WorkerView = Type.Object(
  { host: Type.String(), pid: Type.Integer() },
  { description: 'the host and process (its id) that did it' },
);

const AttemptView = Type.Object({
  attempt: Type.Integer(),
  worker: WorkerView,
  started_at: DateTime,
  finished_at: Nullable(DateTime),
  state: Type.String({ description: 'running, succeeded, failed, retried (failed, tried again), rescheduled (not ready yet), skipped, cancelled' }),
  error_code: Nullable(Type.String()),
});

const StepView = Type.Object({
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

const EventView = Type.Object({
  id: Type.String(),
  received_at: DateTime,
  type: Nullable(Type.String()),
  verdict: Type.String(),
  reason: Nullable(Type.String()),
  http_status: Type.Integer(),
  webhook_id: Nullable(Type.String()),
});

const AuditView = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  action: Type.String(),
  lpath: Type.String(),
  detail: Detail,
  worker: Nullable(WorkerView),
});

const AuditPage = Type.Object({
  total: Type.Integer(),
  items: Type.Array(AuditView),
  next_cursor: Nullable(Type.String()),
});

const AdminActionView = Type.Object({ at: DateTime, action: Type.String(), actor: Type.String(), detail: Detail });

const JobDetail = Type.Object({
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

type AttemptJson = Static<typeof AttemptView>;

/** A step row with its attempts (those of the same run and step), as the API shows them. */
function stepWithAttempts(step: JobStepRow, attempts: readonly StepAttemptRow[]): { step: JobStepRow; history: AttemptJson[] } {
  const history = attempts
    .filter((a) => a.run === step.run && a.step === step.step)
    .map((a) => ({
      attempt: a.attempt,
      worker: { host: a.host, pid: a.pid },
      started_at: a.started_at.toISOString(),
      finished_at: isoDate(a.finished_at),
      state: a.state,
      error_code: a.error_code,
    }));
  return { step, history };
}

function auditItem(a: AuditRow): Static<typeof AuditView> {
  return {
    id: a.id,
    at: a.at.toISOString(),
    action: a.action,
    lpath: a.lpath,
    detail: a.detail,
    worker: a.host !== null && a.pid !== null ? { host: a.host, pid: a.pid } : null,
  };
}

const DetailQuery = Type.Object(
  { audit_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'audit rows included (page on with /audit)' })) },
  { additionalProperties: false },
);

const AuditQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);

const ReplayBody = Type.Object(
  { from: Type.Optional(StepNameSchema) },
  { additionalProperties: false, description: 'from: the step to start at (default: where the job stopped; the first step for a succeeded job)' },
);

const ReplayChoiceView = Type.Object({
  job_id: Type.String(),
  path: Type.String(),
  from: Type.String(),
  previous_state: Type.String(),
  previous_step: Type.String(),
  error_code: Nullable(Type.String()),
});

const BulkReplayBody = Type.Object(
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

const BulkReplayReply = Type.Object({
  dry_run: Type.Boolean(),
  matched: Type.Integer({ description: 'jobs matching the filter' }),
  limit: Type.Integer(),
  truncated: Type.Boolean({ description: 'more matched than the limit: call again to continue' }),
  replayed: Type.Array(ReplayChoiceView, { description: 'replayed (dry run: would be replayed)' }),
  refused: Type.Array(Type.Object({ job_id: Type.String(), path: Type.String(), code: Type.String(), message: Type.String() })),
});

const CancelReply = Type.Object({
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

const REFUSAL_STATUS: Record<string, number> = {
  not_found: 404,
  not_replayable: 409,
  not_cancellable: 409,
  superseded: 409,
  unknown_step: 400,
  step_disabled: 400,
  step_after_stop: 400,
};

function asHttpError(err: unknown): unknown {
  if (err instanceof ReplayRefused || err instanceof CancelRefused) return new HttpError(REFUSAL_STATUS[err.code] ?? 409, err.code, err.message);
  return err;
}

function choiceView(c: ReplayChoice): Static<typeof ReplayChoiceView> {
  return { job_id: c.jobId, path: c.path, from: c.from, previous_state: c.previousState, previous_step: c.previousStep, error_code: c.errorCode };
}

function filterFrom(q: {
  step?: string | undefined;
  error_code?: string | undefined;
  path_prefix?: string | undefined;
  user?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}): JobFilter {
  return {
    step: q.step,
    errorCode: q.error_code,
    pathPrefix: q.path_prefix,
    uploader: q.user,
    since: parseDate(q.since, 'since'),
    until: parseDate(q.until, 'until'),
  };
}

const actorOf = (request: FastifyRequest): string => request.admin?.actor ?? 'unknown';

/**
 * The admin API over jobs: list and inspect (reader), replay and cancel (operator). Everything
 * comes from PostgreSQL; nobody needs to read logs or Redis to know what happened to an archive.
 */
export function jobRoutes(deps: AdminRouteDeps) {
  const auth = adminAuth(deps.tokens);
  return async function register(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const reader = app.auth([auth.reader]);
    const operator = app.auth([auth.operator]);
    const refusals = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
    // POSTs without a body (curl -X POST …/replay) mean "no options".
    const emptyBodyIsObject = async (request: FastifyRequest): Promise<void> => {
      request.body ??= {};
    };

    r.get(
      '/v1/jobs',
      {
        preHandler: reader,
        schema: {
          summary: 'List jobs, newest first, with filters and cursor paging',
          tags: ['jobs'],
          security: SECURITY,
          querystring: ListQuery,
          response: { 200: JobPage, 400: ErrorReply, 401: ErrorReply },
        },
      },
      async (request) => {
        const q = request.query;
        const limit = q.limit ?? 50;
        const beforeSeq = q.cursor ? decodeCursor(q.cursor, (raw) => (Number.isSafeInteger(raw.s) ? (raw.s as number) : undefined)) : undefined;
        const filter: JobFilter = {
          ...filterFrom(q),
          states: parseStates(q.state),
          stuckAfterSeconds: q.stuck ? deps.config.sweeper.stuckAfterSeconds : undefined,
          idPrefix: q.id_prefix,
        };
        const rows = await listJobs(deps.pool, filter, { limit: limit + 1, beforeSeq });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          items: page.map((j) => jobSummaryView(j, deps.config)),
          next_cursor: rows.length > limit && last ? encodeCursor({ s: last.seq }) : null,
        };
      },
    );

    r.get(
      '/v1/jobs/:id',
      {
        preHandler: reader,
        schema: {
          summary: 'One job: archive, steps with attempts and timings, errors, progress, events, admin actions, audit trail',
          tags: ['jobs'],
          security: SECURITY,
          params: IdParams,
          querystring: DetailQuery,
          response: { 200: JobDetail, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { id } = request.params;
        const job = await getJobListing(deps.pool, id);
        if (!job) throw new HttpError(404, 'not_found', `no job ${id}`);
        const auditLimit = request.query.audit_limit ?? 100;
        const [steps, attempts, counts, evts, actions, audit, total] = await Promise.all([
          jobSteps.stepsForJob(deps.pool, id),
          jobSteps.attemptsForJob(deps.pool, id),
          entries.entryCounts(deps.pool, id),
          events.eventsForJob(deps.pool, id),
          adminActionsForJob(deps.pool, id),
          auditLimit ? auditPage(deps.pool, id, { limit: auditLimit }) : Promise.resolve([]),
          auditCount(deps.pool, id),
        ]);
        const summary = jobSummaryView(job, deps.config);
        // The expansion reports progress on the job; before it does, the entry table still tells.
        const progress = {
          entries_done: summary.progress.entries_done ?? (counts.written || null),
          entries_total: summary.progress.entries_total,
          bytes_done: summary.progress.bytes_done ?? (counts.bytes || null),
          bytes_total: summary.progress.bytes_total,
        };
        const lastAudit = audit[audit.length - 1];
        return {
          ...summary,
          progress,
          steps: steps.map((s) => stepWithAttempts(s, attempts)).map(({ step: s, history }) => ({
            run: s.run,
            step: s.step,
            state: s.state,
            attempts: s.attempts,
            started_at: isoDate(s.started_at),
            finished_at: isoDate(s.finished_at),
            seconds: s.started_at && s.finished_at ? (s.finished_at.getTime() - s.started_at.getTime()) / 1000 : null,
            error: s.error_code || s.error_message ? { code: s.error_code, message: s.error_message } : null,
            detail: s.detail,
            worker: history.length ? (history[history.length - 1] as AttemptJson).worker : null,
            attempt_history: history,
          })),
          entries: { pending: counts.pending, writing: counts.writing, written: counts.written, failed: counts.failed, bytes_written: counts.bytes },
          events: evts.map((e) => ({
            id: e.id,
            received_at: e.received_at.toISOString(),
            type: e.event_type,
            verdict: e.verdict,
            reason: e.reason,
            http_status: e.http_status,
            webhook_id: e.webhook_id,
          })),
          admin_actions: actions.map((a) => ({ at: a.at.toISOString(), action: a.action, actor: a.actor, detail: a.detail })),
          audit: {
            total,
            items: audit.map(auditItem),
            next_cursor: total > audit.length && lastAudit ? encodeCursor({ a: lastAudit.id }) : null,
          },
        };
      },
    );

    r.get(
      '/v1/jobs/:id/audit',
      {
        preHandler: reader,
        schema: {
          summary: "A job's audit trail (every change made in iRODS), oldest first, paged",
          tags: ['jobs'],
          security: SECURITY,
          params: IdParams,
          querystring: AuditQuery,
          response: { 200: AuditPage, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { id } = request.params;
        const limit = request.query.limit ?? 200;
        const afterId = request.query.cursor
          ? decodeCursor(request.query.cursor, (raw) => (Number.isSafeInteger(raw.a) ? (raw.a as number) : undefined))
          : undefined;
        if (!(await getJobListing(deps.pool, id))) throw new HttpError(404, 'not_found', `no job ${id}`);
        const [rows, total] = await Promise.all([auditPage(deps.pool, id, { limit: limit + 1, afterId }), auditCount(deps.pool, id)]);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          total,
          items: page.map(auditItem),
          next_cursor: rows.length > limit && last ? encodeCursor({ a: last.id }) : null,
        };
      },
    );

    r.post(
      '/v1/jobs/:id/replay',
      {
        preValidation: emptyBodyIsObject,
        preHandler: operator,
        schema: {
          summary: 'Replay one finished job (operator)',
          description:
            'Starts a new run from the step where the job stopped (or `from`). Only failed, cancelled or succeeded jobs; 409 otherwise, and for a job superseded by a newer version of its archive.',
          tags: ['jobs'],
          security: SECURITY,
          params: IdParams,
          body: ReplayBody,
          response: { 202: ReplayChoiceView, ...refusals },
        },
      },
      async (request, reply) => {
        try {
          const choice = await replayJob(deps, request.params.id, { from: request.body.from, actor: actorOf(request) });
          return await reply.code(202).header('location', `/v1/jobs/${choice.jobId}`).send(choiceView(choice));
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );

    r.post(
      '/v1/jobs/replay',
      {
        preValidation: emptyBodyIsObject,
        preHandler: operator,
        schema: {
          summary: 'Replay every finished job matching a filter (operator); dry_run first',
          description:
            'Only the newest job of each archive path is considered. At most `limit` jobs (AGENT_REPLAY_LIMIT at most), newest first; `truncated` says when to call again.',
          tags: ['jobs'],
          security: SECURITY,
          body: BulkReplayBody,
          response: { 200: BulkReplayReply, ...refusals },
        },
      },
      async (request) => {
        const b = request.body;
        const limit = Math.min(b.limit ?? deps.config.admin.replayLimit, deps.config.admin.replayLimit);
        try {
          const report = await replayMatching(
            deps,
            { ...filterFrom(b), states: parseStates(b.state ?? 'failed') },
            { from: b.from, dryRun: b.dry_run ?? false, limit, actor: actorOf(request) },
          );
          return {
            dry_run: report.dryRun,
            matched: report.matched,
            limit,
            truncated: report.truncated,
            replayed: report.replayed.map(choiceView),
            refused: report.refused.map((x) => ({ job_id: x.jobId, path: x.path, code: x.code, message: x.message })),
          };
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );

    r.post(
      '/v1/jobs/:id/cancel',
      {
        preValidation: emptyBodyIsObject,
        preHandler: operator,
        schema: {
          summary: 'Cancel a queued or running job (operator)',
          description:
            'A queued job (or one waiting between attempts) is cancelled at once (200, outcome cancelled). A step running on a worker stops at its next entry boundary (202, outcome cancel_requested); poll the job for state cancelled.',
          tags: ['jobs'],
          security: SECURITY,
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: CancelReply, 202: CancelReply, ...refusals },
        },
      },
      async (request, reply) => {
        try {
          const { outcome, job } = await cancelJob(deps, request.params.id, actorOf(request));
          return await reply.code(outcome === 'cancelled' ? 200 : 202).send({ job_id: job.id, outcome, state: job.state, step: job.step });
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );
  };
}
