import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { createProcessLogger } from '../logging/logger.js';
import type { RuntimeOptions } from './agent-runtime.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * Runs until SIGTERM/SIGINT, then drains (requests, running steps) and exits 0. A process that
 * cannot come up (a migration fails) closes and exits 3; one whose services are merely absent
 * waits for them (agent-runtime.ts).
 */
async function runUntilSignalled(io: CliIo, options: RuntimeOptions): Promise<void> {
  const config = loadConfig(io.env);
  const log = createProcessLogger(config.logLevel);
  // Loaded here, not at the top: every other command (jobs, config) starts without the pipeline.
  const { startRuntime } = await import('./agent-runtime.js');
  const runtime = await startRuntime(config, log, options);
  log.info({ url: runtime.url, http: options.http, workers: options.workers }, 'irods-omero-agent running');
  let signalled = false;
  const ended = await new Promise<'signal' | 'failed'>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      signalled = true;
      log.info({ signal }, 'shutting down');
      resolve('signal');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    runtime.started.then(
      () => log.info('irods-omero-agent ready'),
      (err: unknown) => {
        if (signalled) return;
        log.error({ err }, 'the agent cannot start');
        resolve('failed');
      },
    );
  });
  await runtime.close().catch((err: unknown) => log.error({ err }, 'error while shutting down'));
  io.exitCode = ended === 'signal' ? ExitCode.ok : ExitCode.unavailable;
}

export function registerRunCommands(program: Command, io: CliIo): void {
  const noMigrate = '--no-migrate';
  program
    .command('start')
    .description('run the HTTP API and the workers in one process (applies migrations first)')
    .option(noMigrate, 'do not apply database migrations at start')
    .action((opts: { migrate: boolean }) => runUntilSignalled(io, { http: true, workers: true, migrate: opts.migrate }));
  program
    .command('serve')
    .description('run only the HTTP API (events, admin API, health, metrics)')
    .option(noMigrate, 'do not apply database migrations at start')
    .action((opts: { migrate: boolean }) => runUntilSignalled(io, { http: true, workers: false, migrate: opts.migrate }));
  program
    .command('work')
    .description('run only the pipeline workers (run as many as you like, on any host)')
    .option(noMigrate, 'do not apply database migrations at start')
    .action((opts: { migrate: boolean }) => runUntilSignalled(io, { http: false, workers: true, migrate: opts.migrate }));
}
