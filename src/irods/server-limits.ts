import type { Logger } from 'pino';
import type { JsonObject } from './error-mapping.js';

/** Limits the API publishes in GET /info that a client must stay within. */
export interface ServerLimits {
  readonly maxBodyBytes: number | undefined;
  readonly maxStreamsPerHandle: number | undefined;
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export function limitsFromInfo(info: JsonObject): ServerLimits {
  return {
    maxBodyBytes: positiveNumber(info.max_size_of_request_body_in_bytes),
    maxStreamsPerHandle: positiveNumber(info.max_number_of_streams_per_parallel_write_handle),
  };
}

/**
 * The server's limits, fetched once per client on the first big write. Configured values that
 * exceed them fail in unhelpful ways (a body over the limit makes the API drop the connection
 * without an answer; a stream-count over the per-handle maximum is a bare 400), so writes use
 * the smaller of both. When /info cannot be read the configured values stand.
 */
export function serverLimitsOnce(fetchInfo: () => Promise<JsonObject>, log: Logger | undefined): () => Promise<ServerLimits> {
  let pending: Promise<ServerLimits> | undefined;
  return () => {
    pending ??= fetchInfo().then(limitsFromInfo, (err: unknown) => {
      log?.debug({ err: err instanceof Error ? err.message : String(err) }, 'iRODS /info unavailable; using the configured limits');
      pending = undefined;
      return { maxBodyBytes: undefined, maxStreamsPerHandle: undefined };
    });
    return pending;
  };
}
