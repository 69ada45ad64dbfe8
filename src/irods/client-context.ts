import type { Logger } from 'pino';
import type { RetrySettings } from './retry-policy.js';
import type { ServerLimits } from './server-limits.js';
import type { Transport } from './transport.js';

/** Resolved settings of one client (defaults applied). */
export interface ClientSettings {
  readonly maxBodyBytes: number;
  readonly writeChunkBytes: number;
  readonly parallelWriteThreshold: number;
  readonly parallelWriteStreams: number;
  readonly readAheadBytes: number;
  /** Default of admin=1 for ACL/metadata/remove/checksum calls that do not say. */
  readonly admin: boolean;
  readonly streamRetry: RetrySettings;
}

/** What every endpoint module gets: the transport below it and the settings. */
export interface ClientContext {
  readonly transport: Transport;
  readonly settings: ClientSettings;
  /** The API's published limits (GET /info), fetched once. */
  readonly serverLimits: () => Promise<ServerLimits>;
  readonly log?: Logger | undefined;
}
