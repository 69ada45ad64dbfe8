import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import { chunkLength, joinChunk, type ByteChunk } from './byte-chunk.js';
import { checkJsonResponse, errorFromResponse, parseJson, readIrodsStatus, transportError, type JsonObject } from './error-mapping.js';
import { IrodsError } from './errors.js';
import { isTransientFailure, withRetry, type RetrySettings } from './retry-policy.js';
import { Session } from './session.js';

/**
 * The one layer that talks HTTP: a keep-alive undici Pool to the API's origin, the bearer token
 * (with one re-authentication and one retry on 401), per-request timeouts, retries of
 * idempotent requests, metrics samples and the mapping of every failure to IrodsError.
 * Endpoint modules above it only describe operations.
 */

export type ParamValue = string | number | boolean | undefined;
export type Params = Readonly<Record<string, ParamValue>>;

export interface CallSpec {
  readonly method: 'GET' | 'POST';
  /** Path segment under the base URL: collections, data-objects, query, users-groups. */
  readonly endpoint: string;
  /** The API's `op`; sent as a parameter unless `headers` carry it (header-style write). */
  readonly op: string;
  /** Query string for GET, form body for POST; booleans become 1/0, undefined is left out. */
  readonly params?: Params;
  readonly lpath?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Safe to repeat (reads, stats, queries): retried on transport errors and 5xx. */
  readonly idempotent?: boolean;
}

export interface RawSpec extends CallSpec {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ByteChunk;
  readonly contentType: string;
}

export interface RequestSample {
  readonly op: string;
  readonly status: number;
  readonly irodsStatus?: number;
  readonly durationMs: number;
}

export interface TransportOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly retry: RetrySettings;
  readonly onRequest?: ((sample: RequestSample) => void) | undefined;
  readonly log?: Logger | undefined;
}

/** Encodes parameters the way the API reads them: flags as 1/0, absent values left out. */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return out;
}

interface Answer {
  readonly statusCode: number;
  readonly body: Dispatcher.ResponseData['body'];
  readonly startedAt: number;
}

/** What a failure is reported against: the full op name ("data-objects/read"), the lpath, the caller's signal. */
interface Ctx {
  readonly op: string;
  readonly lpath?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

function ctxOf(spec: CallSpec): Ctx {
  return { op: `${spec.endpoint}/${spec.op}`, lpath: spec.lpath, signal: spec.signal };
}

export class Transport {
  readonly baseUrl: string;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly session: Session;
  private closed = false;

  constructor(private readonly options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.maxConnections,
      keepAliveTimeout: 10_000,
      connect: { timeout: Math.min(options.requestTimeoutMs, 10_000) },
    });
    this.session = new Session(() => this.login());
  }

  /** Authenticates now (otherwise done on the first request). */
  async authenticate(): Promise<void> {
    await this.session.renew(undefined);
  }

  /** GET /info, which needs no token. */
  async info(): Promise<JsonObject> {
    const ctx: Ctx = { op: 'info' };
    return withRetry(
      async () => {
        const answer = await this.send(ctx, 'GET', `${this.basePath}/info`, {}, undefined);
        const text = await this.readText(ctx, answer);
        const body = parseJson(text);
        this.sample(ctx, answer, undefined);
        if (answer.statusCode !== 200 || typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw errorFromResponse(ctx, answer.statusCode, body, answer.statusCode === 200 ? 'the answer is not JSON' : undefined);
        }
        return body as JsonObject;
      },
      this.options.retry,
      isTransientFailure,
      { log: this.options.log, what: ctx.op },
    );
  }

  /** An operation answering JSON; throws IrodsError unless HTTP and iRODS both report success. */
  async json(spec: CallSpec): Promise<JsonObject> {
    const ctx = ctxOf(spec);
    return this.retrying(spec, ctx, async () => {
      const answer = await this.authorized(ctx, (token) => this.formRequest(spec, ctx, token));
      return this.finishJson(ctx, answer);
    });
  }

  /**
   * A POST with a raw body and headers (header-style write, multipart write); never retried. A
   * body in pieces is streamed piece by piece under its exact content-length.
   */
  async raw(spec: RawSpec): Promise<JsonObject> {
    const ctx = ctxOf(spec);
    const pieces = spec.body;
    const headers = { ...spec.headers, 'content-type': spec.contentType, 'content-length': String(chunkLength(pieces)) };
    const answer = await this.authorized(ctx, (token) =>
      this.send(
        ctx,
        'POST',
        `${this.basePath}/${spec.endpoint}`,
        { ...headers, authorization: `Bearer ${token}` },
        // A stream is consumed by one attempt; a new one for each (the token refresh sends again).
        Buffer.isBuffer(pieces) ? pieces : Readable.from(pieces, { objectMode: false }),
      ),
    );
    return this.finishJson(ctx, answer);
  }

  /** An operation answering raw bytes (read), as a stream; the caller must consume or destroy it. */
  async stream(spec: CallSpec): Promise<Readable> {
    const ctx = ctxOf(spec);
    return this.retrying(spec, ctx, async () => {
      const answer = await this.bytesAnswer(spec, ctx);
      this.sample(ctx, answer, undefined);
      return this.mapStreamErrors(ctx, answer.body);
    });
  }

  /** An operation answering raw bytes, buffered (small ranges only). */
  async bytes(spec: CallSpec): Promise<Buffer> {
    return joinChunk(await this.pieces(spec));
  }

  /** An operation answering raw bytes, buffered in the pieces they arrived in (no concatenation). */
  async pieces(spec: CallSpec): Promise<Buffer[]> {
    const ctx = ctxOf(spec);
    return this.retrying(spec, ctx, async () => {
      const answer = await this.bytesAnswer(spec, ctx);
      const out: Buffer[] = [];
      // 'data' events rather than for await: no promise per 64 KiB piece of a 4 MiB read.
      answer.body.on('data', (piece: Buffer) => out.push(piece));
      try {
        await finished(answer.body);
      } catch (err) {
        throw this.failure(ctx, err);
      }
      this.sample(ctx, answer, undefined);
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.clear();
    await this.pool.close();
  }

  private async bytesAnswer(spec: CallSpec, ctx: Ctx): Promise<Answer> {
    const answer = await this.authorized(ctx, (token) => this.formRequest(spec, ctx, token));
    if (answer.statusCode === 200) return answer;
    const body = parseJson(await this.readText(ctx, answer));
    this.sample(ctx, answer, readIrodsStatus(body)?.code);
    throw errorFromResponse(ctx, answer.statusCode, body);
  }

  private retrying<T>(spec: CallSpec, ctx: Ctx, attempt: () => Promise<T>): Promise<T> {
    if (!spec.idempotent) return attempt();
    return withRetry(attempt, this.options.retry, isTransientFailure, {
      signal: spec.signal,
      log: this.options.log,
      what: ctx.op,
    });
  }

  private formRequest(spec: CallSpec, ctx: Ctx, token: string): Promise<Answer> {
    const encoded = encodeParams({ op: spec.op, ...spec.params }).toString();
    const path = `${this.basePath}/${spec.endpoint}`;
    const auth = { authorization: `Bearer ${token}` };
    if (spec.method === 'GET') return this.send(ctx, 'GET', `${path}?${encoded}`, auth, undefined);
    return this.send(ctx, 'POST', path, { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, encoded);
  }

  /** Sends with the current token; on 401 renews it once and sends again. */
  private async authorized(ctx: Ctx, request: (token: string) => Promise<Answer>): Promise<Answer> {
    const token = await this.session.current();
    const first = await request(token);
    if (first.statusCode !== 401) return first;
    await this.discard(first);
    this.sample(ctx, first, undefined);
    this.options.log?.debug({ op: ctx.op }, 'iRODS token refused (expired?), authenticating again');
    const fresh = await this.session.renew(token);
    return request(fresh);
  }

  private async finishJson(ctx: Ctx, answer: Answer): Promise<JsonObject> {
    const text = await this.readText(ctx, answer);
    const body = parseJson(text);
    this.sample(ctx, answer, readIrodsStatus(body)?.code);
    return checkJsonResponse(ctx, answer.statusCode, text, { body });
  }

  private async login(): Promise<string> {
    const ctx: Ctx = { op: 'authenticate' };
    const user = this.options.username;
    const basic = Buffer.from(`${user}:${this.options.password}`, 'utf8').toString('base64');
    return withRetry(
      async () => {
        const answer = await this.send(ctx, 'POST', `${this.basePath}/authenticate`, { authorization: `Basic ${basic}` }, undefined);
        const text = await this.readText(ctx, answer);
        this.sample(ctx, answer, undefined);
        if (answer.statusCode !== 200 || text.trim() === '') {
          const err = errorFromResponse(ctx, answer.statusCode, parseJson(text), answer.statusCode === 200 ? 'no token in the answer' : undefined);
          throw new IrodsError({
            status: err.status,
            code: err.code,
            codeName: err.codeName,
            op: ctx.op,
            message:
              answer.statusCode === 401
                ? `authentication of iRODS user '${user}' failed: HTTP 401 (wrong user name or password)`
                : `authentication of iRODS user '${user}' failed: ${err.message}`,
          });
        }
        this.options.log?.debug({ user }, 'authenticated to the iRODS HTTP API');
        return text.trim();
      },
      this.options.retry,
      isTransientFailure,
      { log: this.options.log, what: ctx.op },
    );
  }

  private async send(
    ctx: Ctx,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | Buffer | Readable | undefined,
  ): Promise<Answer> {
    if (this.closed) {
      throw new IrodsError({ status: 0, op: ctx.op, lpath: ctx.lpath, message: `${ctx.op} failed: the iRODS client is closed` });
    }
    ctx.signal?.throwIfAborted();
    const startedAt = performance.now();
    try {
      const res = await this.pool.request({
        method,
        path,
        headers,
        body: body ?? null,
        signal: ctx.signal ?? null,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
      });
      return { statusCode: res.statusCode, body: res.body, startedAt };
    } catch (err) {
      const failure = this.failure(ctx, err);
      if (failure instanceof IrodsError) {
        this.options.onRequest?.({ op: ctx.op, status: 0, durationMs: performance.now() - startedAt });
      }
      throw failure;
    }
  }

  /** The caller's abort stays an abort (its reason); anything else becomes IrodsError. */
  private failure(ctx: Ctx, err: unknown): unknown {
    if (ctx.signal?.aborted) return ctx.signal.reason;
    return transportError(ctx, err, this.options.requestTimeoutMs);
  }

  private async readText(ctx: Ctx, answer: Answer): Promise<string> {
    try {
      return await answer.body.text();
    } catch (err) {
      throw this.failure(ctx, err);
    }
  }

  private async discard(answer: Answer): Promise<void> {
    try {
      await answer.body.dump();
    } catch {
      // undici drops the connection; nothing to keep.
    }
  }

  private sample(ctx: Ctx, answer: Answer, irodsStatus: number | undefined): void {
    this.options.onRequest?.({
      op: ctx.op,
      status: answer.statusCode,
      ...(irodsStatus !== undefined ? { irodsStatus } : {}),
      durationMs: performance.now() - answer.startedAt,
    });
  }

  /**
   * Hands out the body through a PassThrough so that a reset or stall mid-body reaches the
   * consumer as IrodsError (an abort keeps its reason), and destroying the result releases the
   * connection.
   */
  private mapStreamErrors(ctx: Ctx, body: Readable): Readable {
    const out = new PassThrough({ highWaterMark: 64 * 1024 });
    body.on('error', (err) => {
      out.destroy(ctx.signal?.aborted ? (ctx.signal.reason as Error) : transportError(ctx, err, this.options.requestTimeoutMs));
    });
    out.on('close', () => {
      if (!body.destroyed) body.destroy();
    });
    body.pipe(out);
    return out;
  }
}
