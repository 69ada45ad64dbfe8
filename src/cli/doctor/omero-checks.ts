import type { Config, OmeroServer } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { classifyExit, OmeroCliError, openOmeroSession, ProcessStartError, runProcess } from '../../omero/index.js';
import { omeroSessionOptions } from '../../pipeline/omero-session-options.js';
import { fail, ok, skip, type CheckResult } from './checklist.js';

/** `omero transfer --help`: starts the CLI (found?) and asks for the plugin's command (installed?). */
async function checkCliAndPlugin(config: Config): Promise<{ results: CheckResult[]; usable: boolean }> {
  const cli = config.omero.cli;
  try {
    const outcome = await runProcess({ executable: cli, args: ['transfer', '--help'], env: config.omero.cliEnv, timeoutMs: config.omero.queryTimeoutSeconds * 1000 });
    const found = ok('omero.cli', 'OMERO CLI found', cli);
    if (outcome.exitCode === 0) return { results: [found, ok('omero.transfer', 'omero-cli-transfer plugin installed', '`omero transfer` answers')], usable: true };
    const sorted = classifyExit(outcome.exitCode ?? 1, outcome.stderrTail);
    if (sorted.code === 'transfer_plugin_missing') {
      return {
        results: [found, fail('omero.transfer', 'omero-cli-transfer plugin installed', '`omero transfer` is unknown to this CLI', `install it into the CLI's Python environment (\`pip install omero-cli-transfer\`), or point OMERO_CLI at a CLI that has it`)],
        usable: false,
      };
    }
    return { results: [found, fail('omero.transfer', 'omero-cli-transfer plugin installed', `\`omero transfer --help\` failed: ${sorted.reason}`, 'run it by hand as the agent\'s user to see why')], usable: false };
  } catch (err) {
    if (!(err instanceof ProcessStartError)) throw err;
    return { results: [fail('omero.cli', 'OMERO CLI found', `cannot start ${cli} (${err.errno})`, 'install OMERO.py (with omero-cli-transfer) on this host, or set OMERO_CLI to its `omero` executable')], usable: false };
  }
}

/** `omero login` with one server's settings, then logout: what every omero step does first. */
async function checkLogin(config: Config, server: OmeroServer, log: Logger): Promise<CheckResult> {
  const fromFile = config.omero.serversFile !== undefined;
  const title = `OMERO login as ${server.user} at ${server.host}:${server.port}${fromFile ? ` (server '${server.name}'${server.isDefault ? ', the default' : ''})` : ''}`;
  const id = fromFile ? `omero.login.${server.name}` : 'omero.login';
  try {
    const session = await openOmeroSession(omeroSessionOptions(config, log, undefined, server));
    await session.close();
    return ok(id, title, 'session opened and closed');
  } catch (err) {
    if (!(err instanceof OmeroCliError)) throw err;
    const [address, account] = fromFile
      ? [`host and port of server '${server.name}' in ${String(config.omero.serversFile)}`, `user and password_file of server '${server.name}', and its group if set`]
      : ['OMERO_HOST and OMERO_PORT', 'OMERO_USER and OMERO_PASSWORD (or OMERO_PASSWORD_FILE), and OMERO_GROUP if set'];
    const fix =
      err.code === 'unreachable'
        ? `start OMERO.server, or fix ${address}`
        : err.code === 'login_refused'
          ? `fix ${account}`
          : 'run `omero login` by hand as the agent\'s user with the same settings to see why';
    return fail(id, title, err.message, fix);
  }
}

/** With OMERO_ENABLED: the CLI, its transfer plugin, and a login to each server. */
export async function checkOmero(config: Config, log: Logger): Promise<CheckResult[]> {
  if (!config.omero.enabled) return [skip('omero', 'OMERO step', 'OMERO_ENABLED is false')];
  const cli = await checkCliAndPlugin(config);
  if (!cli.usable) return cli.results;
  const logins: CheckResult[] = [];
  for (const server of config.omero.servers) logins.push(await checkLogin(config, server, log));
  return [...cli.results, ...logins];
}
