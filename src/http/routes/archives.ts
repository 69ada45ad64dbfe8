import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { defaultOmeroServer, type Config } from '../../config/index.js';
import { omeroRegistrations, registrationBreaks, type JobStepRow, type OmeroRegistrationRow, type RegistrationBreakRow } from '../../store/index.js';
import { archivesFeed, stepsForRuns, type FeedPosition } from '../../store/repositories/job-search.js';
import type { AdminTokens } from '../plugins/admin-auth.js';
import { adminRoutes } from '../plugins/admin-routes.js';
import {
  Detail,
  ErrorReply,
  JOB_STATES,
  JobSummaryView,
  adminSchema,
  archiveView,
  decodeCursor,
  encodeCursor,
  isoDate,
  parseDate,
  parseStates,
} from './admin-views.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const FeedQuery = Type.Object(
  {
    state: Type.Optional(
      Type.String({
        pattern: `^(${JOB_STATES.join('|')})(,(${JOB_STATES.join('|')}))*$`,
        description: 'job states, comma-separated; OMERO-side tools usually ask for succeeded',
      }),
    ),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'state changed at or after' })),
    cursor: Type.Optional(Type.String({ maxLength: 300, description: 'next_cursor of the previous answer' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

const StepSummary = Type.Object({ state: Type.String(), finished_at: Nullable(Type.String({ format: 'date-time' })), detail: Detail });

const RegistrationChange = Type.Object({
  path: Type.String({ description: 'the data object or collection that was renamed or removed (its path before)' }),
  entity_type: Type.String(),
  operation: Type.String({ description: 'renamed or removed' }),
  destination: Nullable(Type.String({ description: 'where it went (renamed)' })),
  changed_by: Type.String({ description: 'user#zone of the administrator' }),
  changed_at: Type.String({ format: 'date-time' }),
});

const OmeroRegistration = Nullable(
  Type.Object(
    { state: Type.Literal('broken'), changes: Type.Array(RegistrationChange) },
    {
      description:
        'null, or why OMERO can no longer read what it registered in place: data an administrator renamed or removed in iRODS (registered_data.changed, docs/events.md)',
    },
  ),
);

const ServerRegistration = Type.Object({
  job_id: Type.String({ format: 'uuid', description: 'the job that registered it: this item\'s own (landing) or a registration on demand' }),
  on_demand: Type.Boolean({ description: 'true: asked for later (POST /v1/archives/{id}/omero), not when the archive landed' }),
  state: Type.String({ description: "that job's state: queued, running, succeeded, failed, cancelled" }),
  error: Nullable(Type.Object({ code: Type.String(), message: Nullable(Type.String()) })),
  omero: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'the registration, as steps.omero.detail.omero shows the landing one (server, ids, …)' })),
});

const OmeroRegistrations = Type.Record(Type.String(), ServerRegistration, {
  description:
    "by server name: the archive's registration in each OMERO server (the landing-time one in the default server, and each on demand, the newest per server). The landing one also stays at steps.omero.detail.omero",
});

// A feed item says of its job what the jobs API says, in the same words.
const { run, state, step, archive, target_path, flags, warnings, error } = JobSummaryView.properties;

const FeedItem = Type.Object({
  job_id: Type.String({ format: 'uuid' }),
  run,
  state,
  state_changed_at: Type.String({ format: 'date-time' }),
  step,
  archive,
  target_path,
  flags,
  warnings,
  error,
  omero_registration: OmeroRegistration,
  omero_registrations: OmeroRegistrations,
  steps: Type.Record(Type.String(), StepSummary, {
    description:
      'the current run\'s steps by name, with what each recorded (e.g. metadata: the OME summary; omero: the OMERO ids)',
  }),
});

const FeedPage = Type.Object({
  items: Type.Array(FeedItem),
  next_cursor: Nullable(
    Type.String({ description: 'keep it and pass it next time: only what changed since comes back (the given cursor when nothing did)' }),
  ),
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The feed's `omero_registrations`: the landing job's own registration (default server), then those on demand. */
function registrationsView(
  job: { readonly id: string; readonly state: string },
  landingStep: JobStepRow | undefined,
  onDemand: readonly OmeroRegistrationRow[],
  defaultName: string,
): Static<typeof OmeroRegistrations> {
  const out: Static<typeof OmeroRegistrations> = {};
  const own = landingStep?.detail.omero;
  if (landingStep && isRecord(own)) out[typeof own.server_name === 'string' ? own.server_name : defaultName] = { job_id: job.id, on_demand: false, state: job.state, error: null, omero: own };
  for (const r of onDemand) {
    out[r.omero_request.server] = {
      job_id: r.job_id,
      on_demand: true,
      state: r.state,
      error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
      omero: r.registration,
    };
  }
  return out;
}

/** The feed's `omero_registration`: null while nothing broke it. */
function registrationView(breaks: readonly RegistrationBreakRow[] | undefined): Static<typeof OmeroRegistration> {
  if (!breaks?.length) return null;
  return {
    state: 'broken',
    changes: breaks.map((b) => ({
      path: b.logical_path,
      entity_type: b.entity_type,
      operation: b.operation,
      destination: b.destination_logical_path,
      changed_by: b.changed_by,
      changed_at: b.changed_at.toISOString(),
    })),
  };
}

function readPosition(raw: Record<string, unknown>): FeedPosition | undefined {
  const { x, i } = raw;
  return typeof x === 'string' && /^\d{1,20}$/.test(x) && typeof i === 'string' && /^[0-9a-f-]{36}$/i.test(i) ? { xid: x, id: i } : undefined;
}

/** Rows by a key, each group in the rows' order. */
function groupedBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

const FeedRoute = adminSchema('archives', 'The archives feed: jobs in the order their state changed, with a stable cursor', {
  querystring: FeedQuery,
  response: { 200: FeedPage, 400: ErrorReply, 401: ErrorReply },
});

/**
 * GET /v1/archives: the feed OMERO-side tools poll for newly expanded data. Items come in the
 * order their job's state changed; the cursor is stable (an item never appears behind a cursor
 * already handed out, see migration 0002), so a poller that keeps next_cursor misses nothing and
 * sees each change once.
 */
export function archiveRoutes(deps: { readonly config: Config; readonly pool: pg.Pool; readonly tokens: AdminTokens }) {
  return adminRoutes(deps.tokens, (r, { reader }) => {
    r.get('/v1/archives', { preHandler: reader, schema: FeedRoute }, async (request) => {
      const q = request.query;
      const after = q.cursor ? decodeCursor(q.cursor, readPosition) : undefined;
      const rows = await archivesFeed(deps.pool, {
        states: parseStates(q.state),
        since: parseDate(q.since, 'since'),
        after,
        limit: q.limit ?? 100,
      });
      const jobIds = rows.map((j) => j.id);
      const [steps, breakRows, registrationRows] = await Promise.all([
        stepsForRuns(deps.pool, rows.map((j) => ({ jobId: j.id, run: j.run }))),
        registrationBreaks.breaksOfJobs(deps.pool, jobIds),
        omeroRegistrations.registrationsOfJobs(deps.pool, jobIds),
      ]);
      const byJob = groupedBy(steps, (s) => s.job_id);
      const breaks = groupedBy(breakRows, (b) => b.job_id);
      const onDemand = groupedBy(registrationRows, (r) => r.source_job_id);
      const defaultName = defaultOmeroServer(deps.config).name;
      const last = rows[rows.length - 1];
      return {
        items: rows.map((j) => ({
          job_id: j.id,
          run: j.run,
          state: j.state,
          state_changed_at: j.state_changed_at.toISOString(),
          step: j.step,
          archive: archiveView(j.archive),
          target_path: j.target_path,
          flags: j.flags,
          warnings: j.warnings.map(String),
          error: j.error_code ? { code: j.error_code, message: j.error_message, entry: j.error_entry, irods_status: j.irods_status } : null,
          omero_registration: registrationView(breaks.get(j.id)),
          omero_registrations: registrationsView(
            j,
            (byJob.get(j.id) ?? []).find((s) => s.step === 'omero' && s.state === 'succeeded'),
            onDemand.get(j.id) ?? [],
            defaultName,
          ),
          steps: Object.fromEntries(
            (byJob.get(j.id) ?? []).map((s) => [s.step, { state: s.state, finished_at: isoDate(s.finished_at), detail: s.detail }]),
          ),
        })),
        next_cursor: last ? encodeCursor({ x: last.state_xid, i: last.id }) : (q.cursor ?? null),
      };
    });
  });
}
