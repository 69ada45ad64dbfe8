import type { FastifyReply } from 'fastify';
import type { IrodsFailure } from '../errors.js';

export const API_VERSION = '0.7.0';
/** What the real server puts in `Server:` (version.hpp.in: binary/version (git sha)). */
export const SERVER_HEADER = `irods_http_api/${API_VERSION} (irods-omero-agent stand-in)`;

/**
 * irods::http::fail: the status alone, an empty body (or the given JSON text), and
 * `Content-Type: application/json` even when empty.
 */
export function sendStatus(reply: FastifyReply, status: number, body = ''): FastifyReply {
  // A Buffer keeps the Content-Type exactly as upstream sends it (fastify would add a charset to a string).
  return reply.code(status).header('server', SERVER_HEADER).header('content-type', 'application/json').send(Buffer.from(body));
}

export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return sendStatus(reply, status, JSON.stringify(body));
}

export interface IrodsResponse {
  readonly status_code: number;
  readonly status_message?: string;
  readonly [extra: string]: unknown;
}

export function irodsResponse(code: number, message?: string): IrodsResponse {
  return message === undefined ? { status_code: code } : { status_code: code, status_message: message };
}

/** `{"irods_response":{"status_code":0}, ...fields}` with HTTP 200 (or `status`). */
export function sendIrods(reply: FastifyReply, response: IrodsResponse, fields: Record<string, unknown> = {}, status = 200): FastifyReply {
  return sendJson(reply, { irods_response: response, ...fields }, status);
}

export function sendOk(reply: FastifyReply, fields: Record<string, unknown> = {}): FastifyReply {
  return sendIrods(reply, irodsResponse(0), fields);
}

/**
 * An iRODS error the way most operations report it: HTTP 200, the negative code and (where the
 * upstream handler catches a filesystem_error or irods::exception) a message.
 */
export function sendFailure(reply: FastifyReply, err: IrodsFailure, options: { message?: boolean; status?: number } = {}): FastifyReply {
  return sendIrods(reply, irodsResponse(err.code, options.message === false ? undefined : err.message), {}, options.status ?? 200);
}
