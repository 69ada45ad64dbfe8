import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceUnavailable } from '../../intake/intake-errors.js';
import { HttpError } from '../http-errors.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P03', '53300']);

/** True for errors that mean PostgreSQL or Redis is unreachable right now. */
export function isBackendDown(err: unknown): boolean {
  if (err instanceof ServiceUnavailable) return true;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(message);
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
export function errorAnswer(err: FastifyError, request: FastifyRequest): ErrorAnswer {
  if (err instanceof HttpError) {
    return { status: err.statusCode, headers: err.headers, body: { error: err.code, message: err.message } };
  }
  if (isBackendDown(err)) {
    const retry = err instanceof ServiceUnavailable ? err.retryAfterSeconds : 5;
    request.log.warn({ err }, 'backend unavailable');
    return {
      status: 503,
      headers: { 'retry-after': String(retry) },
      body: { error: 'unavailable', message: err instanceof ServiceUnavailable ? err.message : 'a backend service is unavailable; retry later' },
    };
  }
  if (err.validation) return { status: 400, headers: {}, body: { error: 'invalid_request', message: err.message } };
  const status = err.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err }, 'request failed');
    return { status: 500, headers: {}, body: { error: 'internal', message: `internal error (request ${request.id})` } };
  }
  return { status, headers: {}, body: { error: err.code ?? 'error', message: err.message } };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = errorAnswer(err, request);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
