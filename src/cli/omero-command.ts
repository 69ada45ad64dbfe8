import { InvalidArgumentError, type Command } from 'commander';
import { OMERO_SERVER_NAME } from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { adminCommandGroup, runAdmin } from './jobs-command.js';

function mode(value: string): 'ln_s' | 'upload' {
  if (value === 'ln_s' || value === 'upload') return value;
  throw new InvalidArgumentError('must be ln_s or upload');
}

function serverName(value: string): string {
  if (OMERO_SERVER_NAME.test(value)) return value;
  throw new InvalidArgumentError('must be the name of a server of the configuration (lower-case letters, digits, _ or -)');
}

function archiveRef(value: string): string {
  if (/^\d+$/.test(value) || value.startsWith('/')) return value.replace(/(.)\/+$/, '$1');
  throw new InvalidArgumentError('must be the archive\'s absolute logical path (/tempZone/home/…/project.zip) or its id');
}

export function registerOmeroCommands(program: Command, io: CliIo): void {
  const omero = adminCommandGroup(program, 'omero', "OMERO registrations through the agent's admin API (an operator token)");

  omero
    .command('register')
    .description('register an archive that expanded earlier in an OMERO server: a job that runs the omero step alone (jobs show / replay it like any other)')
    .argument('<archive>', 'the archive: its logical path (the newest version there) or its id', archiveRef)
    .option('--server <name>', 'the OMERO server, by its name in the configuration (default: the default server)', serverName)
    .option('--mode <mode>', "ln_s (in place) or upload (default: the server's mode)", mode)
    .option('--group <group>', "the OMERO group to register into (default: the server's group)")
    .option('--json', 'print JSON')
    .action(async (archive: string, opts: { server?: string; mode?: 'ln_s' | 'upload'; group?: string; json?: boolean }, cmd: Command) => {
      await runAdmin(io, cmd, opts.json ?? false, async (client) => {
        const r = await client.registerInOmero(archive, { server: opts.server, mode: opts.mode, group: opts.group });
        if (opts.json) io.out(JSON.stringify(r));
        else {
          io.out(`registering ${r.target_path} in OMERO server '${r.server}' (${r.address}, ${r.mode}${r.group ? `, group ${r.group}` : ''}): job ${r.job_id}`);
          io.err(`follow it with: irods-omero-agent jobs show ${r.job_id}`);
        }
        return ExitCode.ok;
      });
    });
}
