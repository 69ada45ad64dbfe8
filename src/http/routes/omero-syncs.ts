import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { omeroSyncs, type OmeroSyncRow, type OmeroSyncState } from '../../store/index.js';
import type { AdminTokens } from '../plugins/admin-auth.js';
import { adminRoutes } from '../plugins/admin-routes.js';
import { adminSchema, ErrorReply, isoDate, stateListSchema } from './admin-views.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

const SYNC_STATES = ['pending', 'running', 'retrying', 'succeeded', 'skipped', 'failed'] as const satisfies readonly OmeroSyncState[];

const SyncQuery = Type.Object(
  {
    state: Type.Optional(stateListSchema(SYNC_STATES, 'sync states, comma-separated (e.g. failed,retrying)')),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 2700, description: 'only the syncs of this data object or collection' })),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'next_before of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

const SyncView = Type.Object({
  id: Type.Integer(),
  path: Type.String({ description: 'the data object or collection whose AVUs are kept in OMERO' }),
  entity_type: Type.String(),
  state: Type.String({ description: SYNC_STATES.join(', ') }),
  events: Type.Integer({ description: 'metadata.changed events this sync answers (a burst inside the debounce window makes one sync)' }),
  first_event_id: Nullable(Type.String()),
  last_event_id: Nullable(Type.String()),
  requested_at: DateTime,
  not_before: DateTime,
  started_at: Nullable(DateTime),
  finished_at: Nullable(DateTime),
  attempts: Type.Integer(),
  outcome: Type.Record(Type.String(), Type.Unknown(), { description: 'what the sync found and did (targets, annotation ids), or why it did nothing' }),
  error: Nullable(Type.Object({ code: Type.String(), message: Nullable(Type.String()) })),
});

const SyncPage = Type.Object({ items: Type.Array(SyncView), next_before: Nullable(Type.Integer()) });

function syncView(row: OmeroSyncRow): Static<typeof SyncView> {
  return {
    id: row.id,
    path: row.logical_path,
    entity_type: row.entity_type,
    state: row.state,
    events: row.events,
    first_event_id: row.first_event_id,
    last_event_id: row.last_event_id,
    requested_at: row.requested_at.toISOString(),
    not_before: row.not_before.toISOString(),
    started_at: isoDate(row.started_at),
    finished_at: isoDate(row.finished_at),
    attempts: row.attempts,
    outcome: row.outcome,
    error: row.error_code ? { code: row.error_code, message: row.error_message } : null,
  };
}

const SyncsRoute = adminSchema('omero', 'Recent syncs of iRODS metadata into OMERO MapAnnotations, newest first', {
  querystring: SyncQuery,
  response: { 200: SyncPage, 400: ErrorReply, 401: ErrorReply },
});

/** GET /v1/omero-syncs: recent annotation syncs (iRODS metadata into OMERO), newest first, for the administrator. */
export function omeroSyncRoutes(deps: { readonly pool: pg.Pool; readonly tokens: AdminTokens }) {
  return adminRoutes(deps.tokens, (r, { reader }) => {
    r.get('/v1/omero-syncs', { preHandler: reader, schema: SyncsRoute }, async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const states = q.state ? [...new Set(q.state.split(','))].filter((s): s is OmeroSyncState => (SYNC_STATES as readonly string[]).includes(s)) : undefined;
      const rows = await omeroSyncs.listSyncs(deps.pool, { states, path: q.path, beforeId: q.before }, limit);
      const last = rows[rows.length - 1];
      return { items: rows.map(syncView), next_before: rows.length === limit && last ? last.id : null };
    });
  });
}
