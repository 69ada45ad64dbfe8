import fastifyAuth from '@fastify/auth';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { SyncScheduler } from '../intake/object-events.js';
import { AdminTokens } from './plugins/admin-auth.js';
import { bullBoardRoutes } from './plugins/bull-board.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { archiveOmeroRoutes } from './routes/archive-omero.js';
import { archiveRoutes } from './routes/archives.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { omeroRegistrationRoutes } from './routes/omero-registrations.js';
import { omeroSyncRoutes } from './routes/omero-syncs.js';
import type { ServiceDeps } from './service-deps.js';

export interface AppDeps extends ServiceDeps {
  /** False while the start-up migration has not run yet (PostgreSQL arrived late): events get 503. */
  readonly schemaReady?: (() => boolean) | undefined;
  /** The annotation sync's queue, when the sync is on (metadata.changed events schedule syncs). */
  readonly syncs?: SyncScheduler | undefined;
}

/** The agent's HTTP API: events from iRODS, admin API, health and metrics. Nothing global. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  // Widened on purpose: typed as pino's Logger, the app would not fit plugins typed for fastify's logger.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Strict bodies: refuse unknown fields instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    bodyLimit: deps.config.http.bodyLimitBytes,
    forceCloseConnections: 'idle',
  });
  installErrorHandler(app);
  await app.register(fastifyAuth);
  // Before any route: the OpenAPI document is collected from the routes registered after it.
  await registerOpenApi(app);
  await app.register(healthRoutes({ ...deps, irodsZone: deps.config.irods.zone }));
  await app.register(eventRoutes(deps));
  const tokens = new AdminTokens(deps.config.admin.tokens);
  if (!tokens.configured) deps.log.warn('AGENT_ADMIN_TOKENS is empty: the admin API and the queue dashboard refuse every request');
  await app.register(jobRoutes({ ...deps, tokens }));
  await app.register(archiveRoutes({ ...deps, tokens }));
  await app.register(archiveOmeroRoutes({ ...deps, tokens }));
  await app.register(omeroSyncRoutes({ ...deps, tokens }));
  await app.register(omeroRegistrationRoutes({ ...deps, tokens }));
  await app.register(metricsRoutes(deps));
  await app.register(bullBoardRoutes({ queues: deps.queues, tokens }));
  return app;
}
