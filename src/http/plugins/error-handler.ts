import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { EventUnrecordable, ServiceUnavailable } from '../../intake/intake-errors.js';
import { isDatabaseUnavailable } from '../../store/index.js';
import { HttpError } from '../http-errors.js';

/** True for errors that mean PostgreSQL or Redis is unreachable right now. */
export function isBackendDown(err: unknown): boolean {
  if (err instanceof ServiceUnavailable || isDatabaseUnavailable(err)) return true;
  const message = (err as { message?: unknown }).message;
  // ioredis without an offline queue, and BullMQ over it, fail this way while Redis is away.
  return typeof message === 'string' && /Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(message);
}

export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { error: string; message: string };
}

/**
 * Maps an error to an answer: HttpError → its status; a backend outage → 503 + Retry-After
 * (callers, such as the iRODS rules, retry); schema violations → 400 naming the field; the
 * rest → 500 with the request id, details only in the log.
 */
export function errorAnswer(err: FastifyError, request: FastifyRequest, options: { log?: boolean } = {}): ErrorAnswer {
  const log = options.log ?? true;
  if (err instanceof HttpError) {
    return { status: err.statusCode, headers: err.headers, body: { error: err.code, message: err.message } };
  }
  if (err instanceof EventUnrecordable) return { status: 400, headers: {}, body: { error: err.code, message: err.message } };
  if (isBackendDown(err)) {
    const retry = err instanceof ServiceUnavailable ? err.retryAfterSeconds : 5;
    if (log) request.log.warn({ err }, 'backend unavailable');
    return {
      status: 503,
      headers: { 'retry-after': String(retry) },
      body: { error: 'unavailable', message: err instanceof ServiceUnavailable ? err.message : 'a backend service is unavailable; retry later' },
    };
  }
  if (err.validation) return { status: 400, headers: {}, body: { error: 'invalid_request', message: err.message } };
  const status = err.statusCode ?? 500;
  if (status >= 500) {
    if (log) request.log.error({ err }, 'request failed');
    return { status: 500, headers: {}, body: { error: 'internal', message: `internal error (request ${request.id})` } };
  }
  return { status, headers: {}, body: { error: err.code ?? 'error', message: err.message } };
}

/**
 * Answers every error of `app`'s routes through errorAnswer. A route plugin may install its own,
 * with `translate` turning its domain refusals into HttpErrors first (fastify scopes it to the
 * plugin's routes), instead of a try/catch in each handler.
 */
export function installErrorHandler(app: FastifyInstance, translate: (err: FastifyError) => FastifyError = (err) => err): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = errorAnswer(translate(err), request);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
