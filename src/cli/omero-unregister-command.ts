import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { runAdmin } from './jobs-command.js';
import { watchJob } from './jobs-watch.js';

/** The `omero` command group, made by whichever of its subcommands registers first. */
function omeroGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'omero') ??
    program
      .command('omero')
      .description("OMERO registrations, through the agent's admin API")
      .option('--url <url>', "the agent's base URL (default AGENT_URL, else http://AGENT_HOST:AGENT_PORT)")
      .option('--token <token>', 'admin token (default AGENT_ADMIN_TOKEN; prefer the variable: arguments show in ps)')
  );
}

/**
 * `irods-omero-agent omero unregister <path> [--server NAME]`: asks the agent (operator token) to
 * remove an archive's registration in OMERO, then, with --wait, follows the job until it ends.
 */
export function registerOmeroUnregisterCommand(program: Command, io: CliIo): void {
  omeroGroup(program)
    .command('unregister')
    .description('remove an archive from OMERO (its images, and the containers it made that are then empty) and its registration AVUs from iRODS, so the data may be moved')
    .argument('<path>', 'the archive (…/run.zip) or the root collection of its expanded tree (…/run)')
    .option('--server <name>', 'the OMERO server, by its name in the configuration (default: the default server)')
    .option('--wait', 'follow the job until the unregister ends (exit status 1 if it failed)')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { server?: string; wait?: boolean; json?: boolean }, cmd: Command) => {
      if (!path.startsWith('/')) {
        io.err('error: give the full logical path, starting with /');
        io.exitCode = ExitCode.usage;
        return;
      }
      await runAdmin(io, cmd, opts.json ?? false, async (client) => {
        const r = await client.unregister(path, opts.server);
        if (opts.json && !opts.wait) io.out(JSON.stringify(r));
        else if (!opts.json) io.out(r.outcome === 'queued' ? `${r.message} (jobs watch ${r.job_id})` : r.message);
        if (!opts.wait || r.outcome !== 'queued') return ExitCode.ok;
        return watchJob(client, io, r.job_id, { intervalMs: 1000, json: opts.json ?? false });
      });
    });
}
