import { irodsCodeName } from './error-codes.js';
import { IrodsCode, IrodsError } from './errors.js';

/**
 * Turns what the HTTP API answered (or failed to answer) into IrodsError. Both the HTTP status
 * and irods_response.status_code must be checked: since API 0.2.0 an iRODS error comes back as
 * HTTP 200 with a negative status_code, while bad parameters are 4xx, sometimes with a JSON
 * body carrying a code (e.g. 400 + NOT_A_DATA_OBJECT for a copy of a missing object) and
 * sometimes with an empty body (404 for a read of a missing object).
 */

export interface RequestContext {
  readonly op: string;
  readonly lpath?: string | undefined;
}

export type JsonObject = Record<string, unknown>;

const HTTP_MEANING: Readonly<Record<number, string>> = {
  400: 'bad request (missing or invalid parameter)',
  401: 'not authenticated (token missing, invalid or expired)',
  403: 'forbidden',
  404: 'not found (no such data object, endpoint or API version)',
  405: 'method not allowed',
  413: 'request body too large for the API',
  429: 'parallel-write streams of the handle are busy',
  500: 'internal error of the HTTP API',
  502: 'bad gateway',
  503: 'service unavailable (e.g. no parallel-write streams left)',
  504: 'gateway timeout',
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a body as JSON; undefined when it is not JSON (empty 404 bodies, raw bytes). */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface IrodsStatus {
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly failedOperation: { index: number; message: string } | undefined;
}

/** Reads irods_response {status_code, status_message, failed_operation} out of a parsed body. */
export function readIrodsStatus(body: unknown): IrodsStatus | undefined {
  if (!isObject(body)) return undefined;
  const r = body.irods_response;
  if (!isObject(r)) return undefined;
  const code = typeof r.status_code === 'number' ? r.status_code : undefined;
  const message = typeof r.status_message === 'string' && r.status_message !== '' ? r.status_message : undefined;
  let failedOperation: IrodsStatus['failedOperation'];
  const f = r.failed_operation;
  if (isObject(f)) {
    failedOperation = {
      index: typeof f.operation_index === 'number' ? f.operation_index : -1,
      message: typeof f.error_message === 'string' ? f.error_message : '',
    };
  }
  return { code, message, failedOperation };
}

/** The operations whose failure to open a replica 0.7.0 reports as INVALID_HANDLE unless built against iRODS > 5.0.2. */
const WRITE_OPENS: ReadonlySet<string> = new Set(['data-objects/write', 'data-objects/parallel_write_init']);

/**
 * True when the code says only "the replica could not be opened": INVALID_HANDLE from a write.
 * An API built against iRODS 5.1+ answers iRODS's own code there (dstream last_error()), and
 * that code is then mapped like any other.
 */
export function isHiddenWriteCause(ctx: RequestContext, code: number | undefined): boolean {
  return code === IrodsCode.INVALID_HANDLE && WRITE_OPENS.has(ctx.op);
}

function describe(ctx: RequestContext): string {
  return ctx.lpath === undefined ? ctx.op : `${ctx.op} ${ctx.lpath}`;
}

/** Builds the error for a response that says the operation failed. */
export function errorFromResponse(ctx: RequestContext, status: number, body: unknown, fallback?: string): IrodsError {
  const s = readIrodsStatus(body);
  const code = s?.code !== undefined && s.code !== 0 ? s.code : undefined;
  const codeName = code === undefined ? undefined : irodsCodeName(code);
  const causeHidden = isHiddenWriteCause(ctx, code);
  const parts: string[] = [`${describe(ctx)} failed: HTTP ${status}`];
  if (code !== undefined) parts.push(`${codeName ?? 'iRODS error'} (${code})`);
  if (causeHidden) {
    parts.push('iRODS could not open the replica for writing and the HTTP API does not say why (it reports the real code only when built against iRODS newer than 5.0.2)');
  }
  else if (status !== 200) parts.push(HTTP_MEANING[status] ?? 'unexpected status');
  if (s?.message) parts.push(s.message);
  if (s?.failedOperation) {
    parts.push(`operation #${s.failedOperation.index} of the batch failed${s.failedOperation.message ? `: ${s.failedOperation.message}` : ''}`);
  }
  if (fallback) parts.push(fallback);
  return new IrodsError({
    status,
    code,
    codeName,
    op: ctx.op,
    lpath: ctx.lpath,
    message: parts.join(': '),
    failedOperation: s?.failedOperation,
    causeHidden,
  });
}

/**
 * Checks a JSON answer of an operation and returns its body. Throws IrodsError when the HTTP
 * status is not 2xx, when status_code is negative, or when the body is not the documented JSON.
 */
export function checkJsonResponse(ctx: RequestContext, status: number, text: string, parsed?: { readonly body: unknown }): JsonObject {
  // The caller may have parsed it already (one JSON.parse per answer, not two).
  const body = parsed ? parsed.body : parseJson(text);
  if (status < 200 || status >= 300) throw errorFromResponse(ctx, status, body);
  const s = readIrodsStatus(body);
  if (!isObject(body) || s === undefined) {
    throw errorFromResponse(ctx, status, body, 'the answer has no irods_response object');
  }
  if (s.code !== undefined && s.code < 0) throw errorFromResponse(ctx, status, body);
  return body;
}

const TRANSPORT_MEANING: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer within the request timeout',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled longer than the request timeout',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CLOSED: 'client closed',
  UND_ERR_DESTROYED: 'client destroyed',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'request body length mismatch',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the answer was cut short',
};

function errorCode(err: unknown): string | undefined {
  if (!isObject(err) && !(err instanceof Error)) return undefined;
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err) return errorCode(cause);
  return undefined;
}

/**
 * Maps a failure below HTTP (no answer at all) to IrodsError with status 0. Undici's errors
 * carry no request headers, but the message is rebuilt anyway so nothing of the request leaks.
 */
export function transportError(ctx: RequestContext, err: unknown, timeoutMs?: number): IrodsError {
  if (err instanceof IrodsError) return err;
  const code = errorCode(err);
  let meaning = (code && TRANSPORT_MEANING[code]) ?? (err instanceof Error ? err.message : 'transport failure');
  if (timeoutMs !== undefined && (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')) {
    meaning += ` (${timeoutMs} ms)`;
  }
  return new IrodsError({
    status: 0,
    op: ctx.op,
    lpath: ctx.lpath,
    message: `${describe(ctx)} failed: ${meaning}${code ? ` [${code}]` : ''}`,
    cause: err,
  });
}
