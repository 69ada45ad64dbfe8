import type { Config } from '../config/index.js';
import type { RegisterReply, RegisterRequestBody } from '../http/routes/archive-omero-schemas.js';
import type { BulkReplayReply, BulkReplayRequest, CancelReply, JobDetail, JobListQuery, JobPage, ReplayChoiceReply } from '../http/routes/jobs-schemas.js';
import type { UnregisterReplyBody } from '../http/routes/omero-registrations.js';
import { ExitCode } from './exit-codes.js';

/** The admin API answered with an error (`{ error, message }` and a status). */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer at all: the agent is not running there, or the network is in the way. */
export class AgentUnreachable extends Error {
  override readonly name = 'AgentUnreachable';
  constructor(
    readonly url: string,
    options: { cause: unknown },
  ) {
    // fetch wraps the reason: TypeError('fetch failed', { cause: Error { code: 'ECONNREFUSED' } }).
    const cause = options.cause as { cause?: { code?: unknown; message?: unknown }; message?: unknown };
    const inner = cause.cause;
    const detail =
      typeof inner?.code === 'string' ? inner.code : typeof inner?.message === 'string' ? inner.message : typeof cause.message === 'string' ? cause.message : 'no answer';
    super(`the agent at ${url} (AGENT_URL) does not answer (${detail})`, options);
  }
}

/** Settings the CLI needs to reach the admin API are missing. */
export class AdminClientSetupError extends Error {
  override readonly name = 'AdminClientSetupError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code for an error of an admin command (see exit-codes.ts). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof AgentUnreachable) return ExitCode.unavailable;
  if (err instanceof AdminClientSetupError) return ExitCode.usage;
  if (err instanceof AdminApiError) {
    if (err.status === 401 || err.status === 403) return ExitCode.denied;
    if (err.status === 404) return ExitCode.notFound;
    if (err.status === 400) return ExitCode.usage;
    if (err.status === 503) return ExitCode.unavailable;
  }
  return ExitCode.failure;
}

export interface AdminClientSettings {
  readonly url: string;
  readonly token: string;
}

/**
 * Where the CLI finds the agent and which token it sends, first found wins:
 * - URL: `--url`, AGENT_URL, else http://AGENT_HOST:AGENT_PORT (a wildcard host means this machine);
 * - token: `--token`, AGENT_ADMIN_TOKEN (or AGENT_ADMIN_TOKEN_FILE), else, on the agent's own
 *   host, the first operator (then reader) token of AGENT_ADMIN_TOKENS.
 */
export function resolveClientSettings(config: Config, flags: { url?: string | undefined; token?: string | undefined }): AdminClientSettings {
  const url = agentBaseUrl(config, flags.url);
  const configured = config.admin.tokens;
  const token =
    flags.token ??
    config.admin.client.token ??
    configured.find((t) => t.role === 'operator')?.token ??
    configured.find((t) => t.role === 'reader')?.token;
  if (!token) {
    throw new AdminClientSetupError('AGENT_ADMIN_TOKEN', 'no admin token: set AGENT_ADMIN_TOKEN (or AGENT_ADMIN_TOKEN_FILE), or pass --token');
  }
  return { url, token };
}

/** The agent's base URL: `--url`, AGENT_URL, else http://AGENT_HOST:AGENT_PORT (a wildcard host means this machine). */
export function agentBaseUrl(config: Config, flagUrl: string | undefined): string {
  const host = ['0.0.0.0', '::', '[::]', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  const url = (flagUrl ?? config.admin.client.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`).replace(/\/+$/, '');
  try {
    if (!['http:', 'https:'].includes(new URL(url).protocol)) throw new Error('not http');
  } catch {
    throw new AdminClientSetupError('AGENT_URL', `${url} is not an http(s) URL`);
  }
  return url;
}

/** The job filters the CLI sends, as GET /v1/jobs declares them. */
export type JobQuery = JobListQuery;
export type { BulkReplayRequest };

/** The agent's admin API over HTTP, with a bearer token. One instance per command. */
export class AdminClient {
  constructor(
    private readonly settings: AdminClientSettings,
    private readonly timeoutMs = 30_000,
  ) {}

  get url(): string {
    return this.settings.url;
  }

  listJobs(query: JobQuery): Promise<JobPage> {
    return this.request<JobPage>('GET', '/v1/jobs', { query: { ...query } });
  }

  getJob(id: string, options: { auditLimit?: number } = {}): Promise<JobDetail> {
    return this.request<JobDetail>('GET', `/v1/jobs/${encodeURIComponent(id)}`, {
      query: options.auditLimit === undefined ? {} : { audit_limit: options.auditLimit },
    });
  }

  replay(id: string, from?: string): Promise<ReplayChoiceReply> {
    return this.request<ReplayChoiceReply>('POST', `/v1/jobs/${encodeURIComponent(id)}/replay`, { body: from ? { from } : {} });
  }

  replayMatching(request: BulkReplayRequest): Promise<BulkReplayReply> {
    const body = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
    return this.request<BulkReplayReply>('POST', '/v1/jobs/replay', { body });
  }

  /** Registers an expanded archive (its id or logical path) in an OMERO server: POST /v1/archives/{id}/omero. */
  registerInOmero(archive: string, body: RegisterRequestBody): Promise<RegisterReply> {
    const sent = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    return this.request<RegisterReply>('POST', `/v1/archives/${encodeURIComponent(archive)}/omero`, { body: sent });
  }

  cancel(id: string): Promise<CancelReply> {
    return this.request<CancelReply>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, { body: {} });
  }

  /** POST /v1/archives/omero/unregister: the archive at `path`, or the tree rooted there. */
  unregister(path: string, server?: string): Promise<UnregisterReplyBody> {
    return this.request<UnregisterReplyBody>('POST', '/v1/archives/omero/unregister', { body: server ? { path, server } : { path } });
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Record<string, string | number | boolean | undefined>; body?: Record<string, unknown> },
  ): Promise<T> {
    const url = new URL(`${this.settings.url}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.settings.token}`, accept: 'application/json' };
    if (options.body) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.body ? JSON.stringify(options.body) : null,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new AgentUnreachable(this.settings.url, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { error?: unknown; message?: unknown };
      throw new AdminApiError(
        res.status,
        typeof e.error === 'string' ? e.error : `http_${res.status}`,
        typeof e.message === 'string' ? e.message : `the agent answered HTTP ${res.status}`,
      );
    }
    if (json === undefined) throw new AdminApiError(res.status, 'bad_answer', `the agent at ${this.settings.url} did not answer JSON`);
    return json as T;
  }
}
