import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { registerConfigCommands } from './config-command.js';
import { registerDoctorCommand } from './doctor-command.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { registerEventsCommands } from './events-command.js';
import { registerJobsCommands } from './jobs-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOmeroCommands } from './omero-command.js';
import { registerOmeroUnregisterCommand } from './omero-unregister-command.js';
import { packageVersion } from './package-version.js';
import { registerRunCommands } from './run-commands.js';
import { ServiceUnreachable } from './service-unreachable.js';
import { registerSweepCommand } from './sweep-command.js';

/** Builds the `irods-omero-agent` command tree; one register function per command group. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('irods-omero-agent')
    .description('Expands OMERO transfer archives that land in iRODS, maps permissions and OME metadata')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerConfigCommands(program, io);
  registerDoctorCommand(program, io);
  registerMigrateCommand(program, io);
  registerRunCommands(program, io);
  registerJobsCommands(program, io);
  registerEventsCommands(program, io);
  registerOmeroCommands(program, io);
  registerSweepCommand(program, io);
  registerOmeroUnregisterCommand(program, io);
  return program;
}

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(code);
}

/** Runs the CLI and returns its exit code; every known failure becomes one clear line. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof ServiceUnreachable) {
      io.err(`unavailable: ${err.message}`);
      return ExitCode.unavailable;
    }
    if (err instanceof ConfigError) {
      io.err(`configuration error: ${err.message}`);
      return ExitCode.usage;
    }
    if (isUnavailable(err) || (err instanceof AggregateError && err.errors.some(isUnavailable))) {
      io.err(`unavailable: ${(err as Error).message || 'connection refused'}`);
      return ExitCode.unavailable;
    }
    io.err(`error: ${(err as Error).message}`);
    return ExitCode.failure;
  }
}
