import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ConfigError } from '../config/config-error.js';
import { createIrodsClient, type IrodsClient, type IrodsClientOptions } from '../irods/index.js';

/**
 * The composition root's iRODS client, from the agent's one Config (irods/ itself knows nothing
 * of the application's configuration): the service account (a rodsadmin, hence admin=1 by
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
