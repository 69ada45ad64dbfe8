import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, configWarnings, describeUnknownSetting, loadConfig, unknownSettings, type Config } from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { anyFailed, checklistLines, fail, ok, warn, type CheckResult } from './doctor/checklist.js';

export interface DoctorOptions {
  readonly canary: boolean;
  readonly canaryTimeoutMs: number;
}

/** The configuration: valid, no unknown settings, nothing that leaves the agent idle. */
function checkConfiguration(io: CliIo): { results: CheckResult[]; config: Config | undefined } {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { results: [fail('config', 'configuration valid', err.message, `fix ${err.key} (irods-omero-agent config check shows the whole configuration)`)], config: undefined };
  }
  const results: CheckResult[] = [ok('config', 'configuration valid', io.env.AGENT_CONFIG_FILE ? `environment and ${io.env.AGENT_CONFIG_FILE}` : 'environment')];
  for (const unknown of unknownSettings(io.env)) {
    results.push(warn(`config.unknown:${unknown.name}`, 'no unknown settings', describeUnknownSetting(unknown), unknown.suggestion ? `rename it ${unknown.suggestion}` : `remove ${unknown.name}`));
  }
  if (!config.webhook.secrets.length) {
    results.push(fail('config.secrets', 'a webhook secret to verify events', 'AGENT_WEBHOOK_SECRETS is empty: every event is refused (401)', 'set AGENT_WEBHOOK_SECRETS_FILE to the file holding the rule\'s secret (/etc/irods/irods_omero_agent.secret)'));
  }
  for (const w of configWarnings(config).filter((w) => w.startsWith('AGENT_ADMIN_TOKENS'))) {
    results.push(warn('config.admin_tokens', 'admin tokens for the jobs CLI and API', w, 'set AGENT_ADMIN_TOKENS_FILE (reader:<token> operator:<token>, docs/operations.md)'));
  }
  return { results, config };
}

/**
 * `irods-omero-agent doctor`: a live check of one deployment, run after the install and after
 * every change. Each check is a line (passed, failed, warned or skipped; a failure says what to
 * change, naming the variable or file); the exit status is 0 only when nothing failed.
 */
export async function runDoctor(io: CliIo, options: DoctorOptions): Promise<CheckResult[]> {
  const { results, config } = checkConfiguration(io);
  if (!config) return results;
  // Loaded here: the other commands start without the drivers and clients.
  const [{ checkPostgres, checkRedis }, { checkIrods }, { checkAgent }, { checkCanary, canaryNotRun }, { checkOmero }, { createIrodsClientFromConfig }, { createLogger }, { createPool }] =
    await Promise.all([
      import('./doctor/service-checks.js'),
      import('./doctor/irods-checks.js'),
      import('./doctor/agent-check.js'),
      import('./doctor/canary-check.js'),
      import('./doctor/omero-checks.js'),
      import('./irods-from-config.js'),
      import('../logging/logger.js'),
      import('../store/index.js'),
    ]);
  const log = createLogger({ level: 'silent' });
  const postgres = await checkPostgres(config);
  results.push(...postgres, ...(await checkRedis(config)));
  const irods = config.irods.password ? createIrodsClientFromConfig(config, log) : undefined;
  try {
    const { results: irodsResults, findings } = await checkIrods(config, irods);
    results.push(...irodsResults, await checkAgent(config));
    const watched = findings.watchedCollections[0];
    if (!options.canary) results.push(canaryNotRun('--no-canary'));
    else if (!irods || !findings.rodsadmin) results.push(canaryNotRun('needs the iRODS login of a rodsadmin (above)'));
    else if (watched === undefined) results.push(canaryNotRun('needs a watched collection that exists (above)'));
    else if (anyFailed(postgres)) results.push(canaryNotRun('needs PostgreSQL, where the agent records the event (above)'));
    else if (!config.webhook.secrets.length) results.push(canaryNotRun('needs AGENT_WEBHOOK_SECRETS (above)'));
    else {
      const pool = createPool(config.databaseUrl, { max: 1 });
      try {
        results.push(await checkCanary(config, { timeoutMs: options.canaryTimeoutMs, watchedCollection: watched, pool, irods }));
      } finally {
        await pool.end().catch(() => undefined);
      }
    }
  } finally {
    await irods?.close().catch(() => undefined);
  }
  results.push(...(await checkOmero(config, log)));
  return results;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds');
  return n;
}

export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('check this deployment end to end: configuration, PostgreSQL, Redis, iRODS, the agent, the rule (a canary upload), OMERO; exit 0 only when nothing failed')
    .option('--json', 'print the checks as JSON ({ok, checks})')
    .option('--no-canary', 'skip the canary (an archive-named object uploaded under a watched collection to see its event arrive)')
    .option('--canary-timeout <seconds>', 'how long to wait for the canary\'s event (the rule waits delay_seconds, the delay server polls)', seconds, 120)
    .action(async (opts: { json?: boolean; canary: boolean; canaryTimeout: number }) => {
      const results = await runDoctor(io, { canary: opts.canary, canaryTimeoutMs: opts.canaryTimeout * 1000 });
      const failed = anyFailed(results);
      if (opts.json) io.out(JSON.stringify({ ok: !failed, checks: results }, null, 2));
      else for (const line of checklistLines(results)) io.out(line);
      io.exitCode = failed ? ExitCode.failure : ExitCode.ok;
    });
}
