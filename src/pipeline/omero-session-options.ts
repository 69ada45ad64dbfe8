import { defaultOmeroServer, type Config, type OmeroServer } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { OmeroSessionOptions } from '../omero/index.js';

/**
 * How every OMERO session of the agent is opened, from its settings: the omero step, the
 * annotation sync and the doctor log in the same way (the CLI, the server's account, its password
 * in the environment of `omero login` only, a private session directory under OMERO_STAGING_DIR).
 * `server`: the default server unless another is named (register on demand, the doctor).
 */
export function omeroSessionOptions(config: Config, log: Logger, signal?: AbortSignal, server: OmeroServer = defaultOmeroServer(config)): OmeroSessionOptions {
  const o = config.omero;
  return {
    executable: o.cli,
    connection: { host: server.host, port: server.port, user: server.user, group: server.group },
    password: server.password,
    env: o.cliEnv,
    workDir: o.stagingDir,
    queryTimeoutMs: o.queryTimeoutSeconds * 1000,
    log,
    signal,
  };
}

/** Where the password of the server called `serverName` comes from, for the sentence that says it is missing. */
export function passwordSetting(config: Config, serverName: string): string {
  return config.omero.serversFile === undefined ? 'OMERO_PASSWORD' : `the password_file of server '${serverName}' (${config.omero.serversFile})`;
}
