import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { OmeroSessionOptions } from '../omero/index.js';

/**
 * How every OMERO session of the agent is opened, from its settings: the omero step, the
 * annotation sync and the doctor log in the same way (the CLI, the account, the password in the
 * environment of `omero login` only, a private session directory under OMERO_STAGING_DIR).
 */
export function omeroSessionOptions(config: Config, log: Logger, signal?: AbortSignal): OmeroSessionOptions {
  const o = config.omero;
  return {
    executable: o.cli,
    connection: { host: o.host, port: o.port, user: o.user, group: o.group },
    password: o.password,
    env: o.cliEnv,
    workDir: o.stagingDir,
    queryTimeoutMs: o.queryTimeoutSeconds * 1000,
    log,
    signal,
  };
}
