import { maskUrlPassword } from '../config/index.js';

/** A service the agent depends on, as a person configures it: its name, its variable, where it is. */
export interface ServiceAddress {
  /** PostgreSQL, Redis, the iRODS HTTP API, the agent… */
  readonly name: string;
  /** The setting that says where it is (AGENT_DATABASE_URL…). */
  readonly variable: string;
  /** Where it is; a password in it is masked when shown. */
  readonly url: string;
}

/** What a failed connection says, as a person would: by the system's error code. */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused the connection',
  ENOTFOUND: 'could not be found (no such host name)',
  EAI_AGAIN: 'could not be found (name resolution failed)',
  ETIMEDOUT: 'did not answer in time',
  ECONNRESET: 'closed the connection',
  EHOSTUNREACH: 'is unreachable from this host',
  ENETUNREACH: 'is unreachable from this host (no route)',
  EPIPE: 'closed the connection',
};

function codesOf(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const own = (err as { code?: unknown }).code;
  const inner: unknown[] = err instanceof AggregateError ? (err.errors as unknown[]) : [];
  const nested = [...inner, (err as { cause?: unknown }).cause].flatMap((e) => codesOf(e, depth + 1));
  return [...(typeof own === 'string' ? [own] : []), ...nested];
}

/** The sentence for a connection failure ("refused the connection"), or undefined when err is something else. */
export function connectionFailure(err: unknown): string | undefined {
  for (const code of codesOf(err)) {
    const said = CONNECTION_FAILURES[code];
    if (said) return `${said} (${code})`;
  }
  return undefined;
}

/** A service did not let the command connect: says which, where, and by which setting. */
export class ServiceUnreachable extends Error {
  override readonly name = 'ServiceUnreachable';
  constructor(
    readonly service: ServiceAddress,
    detail: string,
    options?: { cause: unknown },
  ) {
    super(`${service.name} at ${maskUrlPassword(service.url)} (${service.variable}) ${detail}`, options);
  }
}

/** Runs work; a connection failure becomes a ServiceUnreachable naming the service, anything else passes. */
export async function reaching<T>(service: ServiceAddress, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const detail = connectionFailure(err);
    if (detail !== undefined) throw new ServiceUnreachable(service, detail, { cause: err });
    throw err;
  }
}

/** The services of the configuration, by the variables that place them. */
export function postgresAddress(databaseUrl: string): ServiceAddress {
  return { name: 'PostgreSQL', variable: 'AGENT_DATABASE_URL', url: databaseUrl };
}

export function redisAddress(redisUrl: string): ServiceAddress {
  return { name: 'Redis', variable: 'AGENT_REDIS_URL', url: redisUrl };
}

export function irodsAddress(baseUrl: string): ServiceAddress {
  return { name: 'The iRODS HTTP API', variable: 'IRODS_HTTP_API_URL', url: baseUrl };
}
