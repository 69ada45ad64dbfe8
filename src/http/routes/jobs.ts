import type { Static } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { CancelRefused, cancelJob } from '../../pipeline/cancel.js';
import { ReplayRefused, replayJob, replayMatching, type ReplayChoice } from '../../pipeline/replay.js';
import { entries, events, jobSteps, type AuditRow, type JobStepRow } from '../../store/index.js';
import type { StepAttemptRow } from '../../store/repositories/job-steps.js';
import { adminActionsForJob } from '../../store/repositories/admin-actions.js';
import { auditCount, auditPage, getJobListing, listJobs, type JobFilter } from '../../store/repositories/job-search.js';
import { HttpError } from '../http-errors.js';
import type { AdminTokens } from '../plugins/admin-auth.js';
import { actorOf, adminRoutes } from '../plugins/admin-routes.js';
import type { ServiceDeps } from '../service-deps.js';
import {
  type AttemptView,
  type AuditView,
  BulkReplayRoute,
  CancelRoute,
  JobAuditRoute,
  JobDetailRoute,
  ListJobsRoute,
  type ReplayChoiceView,
  ReplayRoute,
} from './jobs-schemas.js';
import { decodeCursor, encodeCursor, isoDate, jobSummaryView, parseDate, parseStates } from './admin-views.js';

export interface AdminRouteDeps extends ServiceDeps {
  readonly tokens: AdminTokens;
}

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

const REFUSAL_STATUS: Record<string, number> = {
  not_found: 404,
  not_replayable: 409,
  not_cancellable: 409,
  superseded: 409,
  unknown_step: 400,
  step_disabled: 400,
  step_after_stop: 400,
};

/** Replay and cancel refusals as the HTTP answers they are (this plugin's error handler). */
function asHttpError(err: FastifyError): FastifyError {
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

/**
 * The admin API over jobs: list and inspect (reader), replay and cancel (operator). Everything
 * comes from PostgreSQL; nobody needs to read logs or Redis to know what happened to an archive.
 */
export function jobRoutes(deps: AdminRouteDeps) {
  return adminRoutes(deps.tokens, (r, { reader, operator, emptyBodyIsObject }) => {
    r.get('/v1/jobs', { preHandler: reader, schema: ListJobsRoute }, async (request) => {
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
    });

    r.get('/v1/jobs/:id', { preHandler: reader, schema: JobDetailRoute }, async (request) => {
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
    });

    r.get('/v1/jobs/:id/audit', { preHandler: reader, schema: JobAuditRoute }, async (request) => {
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
    });

    r.post('/v1/jobs/:id/replay', { preValidation: emptyBodyIsObject, preHandler: operator, schema: ReplayRoute }, async (request, reply) => {
      const choice = await replayJob(deps, request.params.id, { from: request.body.from, actor: actorOf(request) });
      return reply.code(202).header('location', `/v1/jobs/${choice.jobId}`).send(choiceView(choice));
    });

    r.post('/v1/jobs/replay', { preValidation: emptyBodyIsObject, preHandler: operator, schema: BulkReplayRoute }, async (request) => {
      const b = request.body;
      const limit = Math.min(b.limit ?? deps.config.admin.replayLimit, deps.config.admin.replayLimit);
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
    });

    r.post('/v1/jobs/:id/cancel', { preValidation: emptyBodyIsObject, preHandler: operator, schema: CancelRoute }, async (request, reply) => {
      const { outcome, job } = await cancelJob(deps, request.params.id, actorOf(request));
      return reply.code(outcome === 'cancelled' ? 200 : 202).send({ job_id: job.id, outcome, state: job.state, step: job.step });
    });
  }, asHttpError);
}
