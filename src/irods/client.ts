import type { ClientContext, ClientSettings } from './client-context.js';
import { createCollectionsApi } from './collections.js';
import { createDataObjectsApi } from './data-objects.js';
import { createQueryApi } from './genquery.js';
import { DEFAULT_READ_RETRY, DEFAULT_STREAM_RETRY, type RetrySettings } from './retry-policy.js';
import { serverLimitsOnce } from './server-limits.js';
import { Transport } from './transport.js';
import type { IrodsClient, IrodsClientOptions, IrodsRetryOptions, ServerInfo } from './types.js';
import { createResourcesApi } from './resources.js';
import { createUsersGroupsApi } from './users-groups.js';

const MiB = 1024 * 1024;

/** Defaults follow the API's 0.7.0 limits: 8 MiB bodies, 3 streams per parallel-write handle. */
export const CLIENT_DEFAULTS = {
  requestTimeoutMs: 30_000,
  maxBodyBytes: 8 * MiB,
  writeChunkBytes: 4 * MiB,
  parallelWriteThreshold: 64 * MiB,
  parallelWriteStreams: 3,
  readAheadBytes: 4 * MiB,
  maxConnections: 16,
} as const;

function retrySettings(given: IrodsRetryOptions | undefined, defaults: RetrySettings): RetrySettings {
  return {
    retries: given?.retries ?? defaults.retries,
    minTimeoutMs: given?.minTimeoutMs ?? defaults.minTimeoutMs,
    maxTimeoutMs: given?.maxTimeoutMs ?? defaults.maxTimeoutMs,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`iRODS client option ${name} must be positive, got ${value}`);
  return value;
}

/**
 * A client of the iRODS HTTP API (0.7.0) for one account. The API version is part of
 * `baseUrl` (http://host:9000/irods-http-api/0.7.0): the API answers 404 to any other.
 * Nothing happens on the network until the first call; close() releases the connections.
 */
export function createIrodsClient(options: IrodsClientOptions): IrodsClient {
  const settings: ClientSettings = {
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes ?? CLIENT_DEFAULTS.maxBodyBytes),
    writeChunkBytes: positive('writeChunkBytes', options.writeChunkBytes ?? CLIENT_DEFAULTS.writeChunkBytes),
    parallelWriteThreshold: positive('parallelWriteThreshold', options.parallelWriteThreshold ?? CLIENT_DEFAULTS.parallelWriteThreshold),
    parallelWriteStreams: Math.floor(positive('parallelWriteStreams', options.parallelWriteStreams ?? CLIENT_DEFAULTS.parallelWriteStreams)),
    readAheadBytes: Math.max(0, options.readAheadBytes ?? CLIENT_DEFAULTS.readAheadBytes),
    admin: options.admin ?? false,
    streamRetry: retrySettings(options.streamRetry, DEFAULT_STREAM_RETRY),
  };
  const transport = new Transport({
    baseUrl: options.baseUrl,
    username: options.username,
    password: options.password,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs),
    maxConnections: Math.floor(positive('maxConnections', options.maxConnections ?? CLIENT_DEFAULTS.maxConnections)),
    retry: retrySettings(options.retry, DEFAULT_READ_RETRY),
    onRequest: options.onRequest,
    log: options.log,
  });
  const ctx: ClientContext = { transport, settings, serverLimits: serverLimitsOnce(() => transport.info(), options.log), log: options.log };

  return {
    baseUrl: transport.baseUrl,
    username: options.username,
    async info(): Promise<ServerInfo> {
      const body = await transport.info();
      return {
        ...body,
        apiVersion: typeof body.api_version === 'string' ? body.api_version : '',
        ...(typeof body.irods_zone === 'string' ? { irodsZone: body.irods_zone } : {}),
      };
    },
    authenticate: () => transport.authenticate(),
    collections: createCollectionsApi(ctx),
    dataObjects: createDataObjectsApi(ctx),
    query: createQueryApi(ctx),
    users: createUsersGroupsApi(ctx),
    resources: createResourcesApi(ctx),
    close: () => transport.close(),
  };
}
