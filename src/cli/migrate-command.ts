import type { Command } from 'commander';
import { createLogger } from '../logging/logger.js';
import { migrate } from '../store/migrate.js';
import { ExitCode } from './exit-codes.js';
import { withConfig, type CliIo } from './io.js';
import { postgresAddress, reaching } from './service-unreachable.js';

export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('create the database if missing and apply pending migrations (idempotent)')
    .option('--json', 'print JSON')
    .action(withConfig(io, async (cfg, opts: { json?: boolean }) => {
      const log = createLogger({ level: cfg.logLevel });
      const applied = await reaching(postgresAddress(cfg.databaseUrl), () => migrate(cfg.databaseUrl, log));
      if (opts.json) io.out(JSON.stringify({ applied }));
      else io.out(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      io.exitCode = ExitCode.ok;
    }));
}
