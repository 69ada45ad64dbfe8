import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveIdentity } from '../auth.js';
import { IrodsFailure } from '../errors.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { RequestArgs, multipartBoundary, parseMultipart, parseUrlEncoded } from './args.js';
import { sendFailure, sendStatus } from './reply.js';

export interface OperationContext {
  readonly zone: Zone;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly args: RequestArgs;
}

export type OperationHandler = (ctx: OperationContext) => Promise<unknown>;

export type OperationTable = Readonly<Record<string, OperationHandler>>;

/**
 * execute_operation (irods_client_http_api core/src/common.cpp): GET takes the query string,
 * POST a multipart/form-data (with a boundary) or application/x-www-form-urlencoded body, any
 * other content type is 400; a missing or unknown `op` is 400; another method is 405. The
 * identity is resolved only inside the operation, so these checks come before 400/401 for auth.
 */
export async function executeOperation(zone: Zone, request: FastifyRequest, reply: FastifyReply, get: OperationTable, post: OperationTable): Promise<unknown> {
  let values: Map<string, Buffer>;
  let table: OperationTable;
  if (request.method === 'GET') {
    const q = request.url.indexOf('?');
    values = q < 0 ? new Map() : parseUrlEncoded(Buffer.from(request.url.slice(q + 1), 'latin1'));
    table = get;
  } else if (request.method === 'POST') {
    const contentType = request.headers['content-type'] ?? '';
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (/^multipart\/form-data/i.test(contentType)) {
      const boundary = multipartBoundary(contentType);
      if (boundary === undefined) return sendStatus(reply, 400);
      values = parseMultipart(body, boundary);
    } else if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
      values = parseUrlEncoded(body);
    } else {
      return sendStatus(reply, 400);
    }
    table = post;
  } else {
    return sendStatus(reply, 405);
  }
  if (Object.keys(table).length === 0) return sendStatus(reply, 405);
  const op = values.get('op')?.toString('utf8');
  if (op === undefined) return sendStatus(reply, 400);
  const handler = Object.hasOwn(table, op) ? table[op] : undefined;
  if (!handler) return sendStatus(reply, 400);
  return handler({ zone, request, reply, args: new RequestArgs(values) });
}

/** The caller, or undefined after answering 400 (no/odd Authorization) or 401 (bad/expired token). */
export function authenticate(ctx: { zone: Zone; request: FastifyRequest; reply: FastifyReply }): Principal | undefined {
  const result = resolveIdentity(ctx.request.headers.authorization, ctx.zone.tokens, ctx.zone.catalog.principals);
  if ('user' in result) return result.user;
  sendStatus(ctx.reply, result.httpStatus);
  return undefined;
}

/**
 * Wraps an operation body: authenticates first, answers an IrodsFailure with HTTP 200 and the
 * negative status code plus message (what most handlers do with filesystem_error and
 * irods::exception), anything unexpected with an empty 500.
 */
export function authenticated(body: (ctx: OperationContext, user: Principal) => unknown): OperationHandler {
  return async (ctx) => {
    const user = authenticate(ctx);
    if (!user) return;
    try {
      return await body(ctx, user);
    } catch (err) {
      if (ctx.reply.sent) return;
      if (err instanceof IrodsFailure) return sendFailure(ctx.reply, err);
      ctx.request.log.error({ err }, 'operation failed');
      return sendStatus(ctx.reply, 500);
    }
  };
}
