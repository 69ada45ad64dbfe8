import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { createIrodsClient } from './client.js';
import type { IrodsClient, IrodsClientOptions } from './types.js';

/**
 * The agent's client, from its one Config: the service account (a rodsadmin, hence admin=1 by
 * default when IRODS_ADMIN_MODE is on) and the transfer tuning. `onRequest` feeds metrics.
 */
export function createIrodsClientFromConfig(
  config: Config,
  log: Logger,
  extra: Pick<IrodsClientOptions, 'onRequest'> = {},
): IrodsClient {
  const c = config.irods;
  if (c.password === undefined || c.password === '') {
    throw new ConfigError('IRODS_PASSWORD', 'required to authenticate to the iRODS HTTP API (or give IRODS_PASSWORD_FILE)');
  }
  return createIrodsClient({
    baseUrl: c.baseUrl,
    username: c.username,
    password: c.password,
    requestTimeoutMs: c.requestTimeoutMs,
    maxBodyBytes: c.maxBodyBytes,
    writeChunkBytes: c.writeChunkBytes,
    parallelWriteThreshold: c.parallelWriteThreshold,
    parallelWriteStreams: c.parallelWriteStreams,
    readAheadBytes: c.readAheadBytes,
    admin: c.adminMode,
    log: log.child({ component: 'irods' }),
    ...extra,
  });
}
