import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { executeOperation, type OperationTable } from './http/dispatch.js';
import { API_VERSION, sendStatus } from './http/reply.js';
import { collectionsGet, collectionsPost } from './routes/collections.js';
import { writeStreaming } from './routes/data-object-writes.js';
import { dataObjectsGet, dataObjectsPost } from './routes/data-objects.js';
import { queryOperations } from './routes/query.js';
import { resourcesGet, resourcesPost } from './routes/resources.js';
import { authenticateRoute, infoRoute, zonesGet, zonesPost } from './routes/server-info.js';
import { usersGroupsGet, usersGroupsPost } from './routes/users-groups.js';
import type { Zone } from './zone.js';

export const BASE_PATH = `/irods-http-api/${API_VERSION}`;

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/** POST to /data-objects with `irods-api-request-op: write` is the header-style streaming write. */
function isStreamingWrite(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.headers['irods-api-request-op'] === 'write' && request.url.split('?')[0] === `${BASE_PATH}/data-objects`;
}

/**
 * The real server closes the connection without answering when a body exceeds
 * max_size_of_request_body_in_bytes: beast's parser reports body_limit (already from the
 * Content-Length header) and the session just returns (core/src/session.cpp on_read_header /
 * on_read_body). Clients see a reset connection, not a 413.
 */
function dropConnection(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  request.raw.socket.destroy();
}

export interface ServerOptions {
  readonly log: boolean;
}

/** The fastify app serving BASE_PATH: one route per endpoint, operations dispatched on `op`. */
export function buildServer(zone: Zone, options: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: options.log ? { level: 'info' } : false,
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    // The parser below enforces the API's limit itself; fastify's must not answer 413 first.
    bodyLimit: Number.MAX_SAFE_INTEGER,
  });
  const limit = zone.settings.maxBodyBytes;
  // Decided once per request in onRequest, then looked up by the parser and the route.
  const streaming = new WeakSet<object>();
  const isStreaming = (request: FastifyRequest): boolean => streaming.has(request.raw);

  app.addHook('onRequest', (request, reply, done) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > limit) {
      dropConnection(request, reply);
      return;
    }
    // Any Content-Type goes with a header-style write (curl --data-binary sends a form type).
    if (isStreamingWrite(request)) {
      streaming.add(request.raw);
      request.headers['content-type'] = 'application/octet-stream';
    }
    done();
  });

  // Bodies are kept raw: the operations parse them the way the API does (see http/args.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    if (isStreaming(request)) {
      done(null, payload);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let dropped = false;
    payload.on('data', (chunk: Buffer) => {
      if (dropped) return;
      size += chunk.length;
      if (size > limit) {
        dropped = true;
        request.raw.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => {
      if (!dropped) done(null, Buffer.concat(chunks));
    });
    payload.on('error', (err) => {
      if (!dropped) done(err);
    });
  });

  const operations = (get: OperationTable, post: OperationTable) => (request: FastifyRequest, reply: FastifyReply) =>
    executeOperation(zone, request, reply, get, post);
  const query = queryOperations();
  const routes: Record<string, (request: FastifyRequest, reply: FastifyReply) => unknown> = {
    authenticate: (request, reply) => authenticateRoute(zone, request, reply),
    info: (request, reply) => infoRoute(zone, request, reply),
    collections: operations(collectionsGet, collectionsPost),
    'data-objects': (request, reply) =>
      isStreaming(request) ? writeStreaming(zone, request, reply) : executeOperation(zone, request, reply, dataObjectsGet, dataObjectsPost),
    query: operations(query.get, query.post),
    'users-groups': operations(usersGroupsGet, usersGroupsPost),
    zones: operations(zonesGet, zonesPost),
    resources: operations(resourcesGet, resourcesPost),
    // Endpoints the real API has but the agent does not use: present, never silently 404.
    rules: (_request, reply) => sendStatus(reply, 501),
    tickets: (_request, reply) => sendStatus(reply, 501),
  };
  for (const [name, handler] of Object.entries(routes)) {
    app.route({ method: [...ALL_METHODS], url: `${BASE_PATH}/${name}`, handler });
  }

  // Any other path, including another API version: 404 with an empty body.
  app.setNotFoundHandler((_request, reply) => sendStatus(reply, 404));
  app.setErrorHandler((err, request, reply) => {
    request.log.error({ err }, 'request failed');
    if (!reply.sent) sendStatus(reply, 500);
  });
  return app;
}
