import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { isDatabaseUnavailable } from '../store/index.js';

/**
 * Waiting for PostgreSQL and Redis without falling over: an agent process comes up, serves
 * /healthz and /readyz, and works as soon as the services arrive. Each failed attempt is one
 * log line naming the service and where the agent looks for it (never the password).
 */

/** A connection URL as logs may show it: the password masked. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** 1 s, 2 s, 4 s … 30 s: quick while a service is starting beside the agent, quiet during a long outage. */
export const SERVICE_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000 };

export function backoffDelay(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs `attempt` until it succeeds. A failure that says PostgreSQL is unreachable is logged and
 * tried again after a growing delay; any other failure (a migration that is wrong, a refused
 * password) is thrown: waiting would not fix it. Aborting `signal` stops the waiting.
 */
export async function untilPostgresAnswers<T>(
  url: string,
  attempt: () => Promise<T>,
  log: Logger,
  signal: AbortSignal,
  backoff: Backoff = SERVICE_BACKOFF,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || signal.aborted) throw err;
      const delay = backoffDelay(n, backoff);
      log.warn({ service: 'postgresql', url: maskedUrl(url), attempt: n, retry_in_ms: delay, reason: (err as Error).message }, 'PostgreSQL is not reachable; retrying');
      await sleep(delay, undefined, { signal });
    }
  }
}

/**
 * One log line per failed connection attempt of the agent's Redis connection (ioredis retries
 * by itself, see createProducerConnection), and one when it is back. The workers' own
 * connections keep quiet about the same outage (workers.ts).
 */
export function reportRedisAttempts(connection: Redis, url: string, log: Logger): void {
  let failed = 0;
  connection.on('error', (err: Error) => {
    failed += 1;
    log.warn({ service: 'redis', url: maskedUrl(url), attempt: failed, reason: err.message }, 'Redis is not reachable; retrying');
  });
  connection.on('ready', () => {
    if (failed) log.info({ service: 'redis', url: maskedUrl(url), attempts: failed }, 'Redis is reachable');
    failed = 0;
  });
}

/** Resolves once the connection is ready (at once if it is); rejects when `signal` aborts. */
export async function untilRedisAnswers(connection: Redis, signal: AbortSignal): Promise<void> {
  while (connection.status !== 'ready') {
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        connection.off('ready', done);
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        connection.off('ready', done);
        reject(signal.reason as Error);
      };
      connection.once('ready', done);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }
}
