import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document, generated from the routes' own schemas (TypeBox), served as JSON at
 * /docs/json and as Swagger UI at /docs. Registered on the root instance before any route, so
 * every route (events, admin, health, metrics) is collected. /docs is public: it documents the
 * API and holds no data; every route it lists still enforces its own authentication.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'irods-omero-agent',
        // The version of the HTTP API (the /v1 routes), not of the package.
        version: '1',
        description:
          'Events from the iRODS rules (signed webhooks), the admin API (jobs, replay, cancel, the archives feed), health and metrics. ' +
          'Admin routes take `Authorization: Bearer <token>` from AGENT_ADMIN_TOKENS: a reader token may GET, an operator token may also replay and cancel.',
      },
      tags: [
        { name: 'events', description: 'POSTed by the iRODS rules when an archive lands, metadata of a registered object changes, or registered data moves' },
        { name: 'jobs', description: 'what happened to each archive; replay and cancel' },
        { name: 'archives', description: 'the feed OMERO-side tools poll for newly expanded data' },
        { name: 'omero', description: 'iRODS metadata kept in OMERO: recent syncs' },
        { name: 'operations', description: 'health and metrics' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'a token from AGENT_ADMIN_TOKENS (reader or operator)' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'AGENT_METRICS_TOKEN, or any admin token' },
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'webhook-signature',
            description: 'Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of "id.timestamp.body">)',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
