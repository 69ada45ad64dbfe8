import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { IrodsError } from './errors.js';

/** Exponential backoff for one kind of retry. */
export interface RetrySettings {
  /** Retries after the first attempt; 0 disables retrying. */
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** Idempotent reads, stats and queries: a few quick retries on transport errors and 5xx. */
export const DEFAULT_READ_RETRY: RetrySettings = { retries: 3, minTimeoutMs: 250, maxTimeoutMs: 4_000 };

/** parallel_write_init answering 503 (no streams left): wait longer, streams free up as writes end. */
export const DEFAULT_STREAM_RETRY: RetrySettings = { retries: 8, minTimeoutMs: 250, maxTimeoutMs: 5_000 };

/** A failure worth another attempt of an idempotent operation. */
export function isTransientFailure(err: unknown): boolean {
  return err instanceof IrodsError && (err.status === 0 || err.status >= 500);
}

/**
 * Runs `attempt` until it succeeds, `shouldRetry` says no, the retries are used up or `signal`
 * aborts (then the signal's reason is thrown, not a retry error).
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  settings: RetrySettings,
  shouldRetry: (err: unknown) => boolean,
  context: { signal?: AbortSignal | undefined; log?: Logger | undefined; what: string },
): Promise<T> {
  if (settings.retries <= 0) return attempt();
  return pRetry(attempt, {
    retries: settings.retries,
    factor: 2,
    minTimeout: settings.minTimeoutMs,
    maxTimeout: settings.maxTimeoutMs,
    randomize: true,
    ...(context.signal ? { signal: context.signal } : {}),
    shouldRetry: (err) => !context.signal?.aborted && shouldRetry(err),
    onFailedAttempt: (err) => {
      if (err.retriesLeft > 0) {
        context.log?.debug(
          { op: context.what, attempt: err.attemptNumber, retriesLeft: err.retriesLeft, err: err.message },
          'iRODS request failed, retrying',
        );
      }
    },
  });
}
