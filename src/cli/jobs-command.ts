import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { isStepName, STEP_ORDER, type StepName } from '../store/index.js';
import {
  AdminApiError,
  AdminClient,
  AdminClientSetupError,
  AgentUnreachable,
  exitCodeFor,
  resolveClientSettings,
  type JobQuery,
} from './admin-client.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { bulkReplayLines, jobDetailLines, jobsTable } from './jobs-format.js';
import { watchJob } from './jobs-watch.js';
import { jobIdArgument, resolveJobId } from './job-id.js';

const JOB_ID_HELP = 'job id, or its first 8 or more characters';

const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `2h`, `30m`, `7d` (that long ago), or an ISO date / date-time; answered as an ISO date-time. */
export function parseWhen(value: string, now = Date.now()): string {
  const relative = RELATIVE.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * (UNIT_SECONDS[relative[2] ?? 's'] ?? 1) * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const d = new Date(value.trim().length === 10 ? `${value.trim()}T00:00:00Z` : value.trim());
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  throw new InvalidArgumentError('expected a time such as 2h, 30m, 7d, 2026-01-31 or 2026-01-31T12:00:00Z');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function stepName(value: string): StepName {
  if (!isStepName(value)) throw new InvalidArgumentError(`expected one of ${STEP_ORDER.join(', ')}`);
  return value;
}

interface FilterOptions {
  state?: string;
  step?: StepName;
  errorCode?: string;
  prefix?: string;
  user?: string;
  since?: string;
  until?: string;
}

function withFilterOptions(cmd: Command): Command {
  return cmd
    .option('--step <step>', `current step, or where the job stopped (${STEP_ORDER.join(', ')})`, stepName)
    .option('--error-code <code>', 'error code, e.g. target_exists')
    .option('--prefix <lpath>', 'archive logical path prefix')
    .option('--user <name>', 'uploader (the iRODS user of the event; name#zone for a user of another zone)')
    .option('--since <when>', 'changed since: 2h, 30m, 7d, or a date / date-time', (v) => parseWhen(v))
    .option('--until <when>', 'changed before (same forms as --since)', (v) => parseWhen(v));
}

function filterQuery(o: FilterOptions): Omit<JobQuery, 'stuck' | 'limit' | 'cursor'> {
  return { state: o.state, step: o.step, error_code: o.errorCode, path_prefix: o.prefix, user: o.user, since: o.since, until: o.until };
}

/**
 * Runs one admin command: builds the client from the configuration and the --url/--token flags,
 * and turns the admin API's refusals into one line (or one JSON object) and an exit code.
 */
export async function runAdmin(io: CliIo, cmd: Command, json: boolean, body: (client: AdminClient) => Promise<number>): Promise<void> {
  try {
    const flags = cmd.optsWithGlobals<{ url?: string; token?: string }>();
    const client = new AdminClient(resolveClientSettings(loadConfig(io.env), flags));
    io.exitCode = await body(client);
  } catch (err) {
    if (!(err instanceof AdminApiError || err instanceof AgentUnreachable || err instanceof AdminClientSetupError)) throw err;
    const code = err instanceof AdminApiError ? err.code : err instanceof AgentUnreachable ? 'unreachable' : 'setup';
    if (json) io.out(JSON.stringify({ error: code, message: err.message, ...(err instanceof AdminApiError ? { status: err.status } : {}) }));
    else io.err(`error: ${err.message}`);
    io.exitCode = exitCodeFor(err);
  }
}

/** A command group that talks to the agent's admin API: the --url and --token every such command takes. */
export function adminCommandGroup(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--url <url>', "the agent's base URL (default AGENT_URL, else http://AGENT_HOST:AGENT_PORT)")
    .option('--token <token>', 'admin token (default AGENT_ADMIN_TOKEN; prefer the variable: arguments show in ps)');
}

export function registerJobsCommands(program: Command, io: CliIo): void {
  const jobs = adminCommandGroup(program, 'jobs', "inspect, replay and cancel jobs through the agent's admin API");

  withFilterOptions(
    jobs
      .command('list')
      .description('list jobs, newest first')
      .option('--state <states>', 'queued, running, succeeded, failed, cancelled (comma-separated)')
      .option('--failed', 'same as --state failed'),
  )
    .option('--stuck', 'only jobs queued or running without change for longer than AGENT_STUCK_AFTER_SECONDS')
    .option('--limit <n>', 'jobs per page (max 500)', positiveInt, 50)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end')
    .option('--json', 'print JSON ({items, next_cursor})')
    .action(async (opts: FilterOptions & { failed?: boolean; stuck?: boolean; limit: number; cursor?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      await runAdmin(io, cmd, opts.json ?? false, async (client) => {
        const query: JobQuery = { ...filterQuery(opts), state: opts.failed ? 'failed' : opts.state, stuck: opts.stuck, limit: opts.limit };
        let page = await client.listJobs({ ...query, cursor: opts.cursor });
        const items = [...page.items];
        while (opts.all && page.next_cursor) {
          page = await client.listJobs({ ...query, cursor: page.next_cursor });
          items.push(...page.items);
        }
        if (opts.json) {
          io.out(JSON.stringify({ items, next_cursor: page.next_cursor }));
        } else {
          if (items.length) for (const line of jobsTable(items)) io.out(line);
          else io.err('no jobs match');
          if (page.next_cursor) io.err(`more: --cursor ${page.next_cursor}  (or --all)`);
        }
        return ExitCode.ok;
      });
    });

  jobs
    .command('show')
    .description('one job: archive, steps, errors, progress, events, admin actions, audit trail')
    .argument('<id>', JOB_ID_HELP, jobIdArgument)
    .option('--audit <n>', 'audit rows to include', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { audit: number; json?: boolean }, cmd: Command) => {
      await runAdmin(io, cmd, opts.json ?? false, async (client) => {
        const auditShown = Number.isInteger(opts.audit) && opts.audit >= 0 ? Math.min(opts.audit, 1000) : 20;
        const job = await client.getJob(await resolveJobId(client, id), { auditLimit: auditShown });
        if (opts.json) io.out(JSON.stringify(job));
        else for (const line of jobDetailLines(job, { auditShown })) io.out(line);
        return ExitCode.ok;
      });
    });

  withFilterOptions(
    jobs
      .command('replay')
      .description('replay one job, or every finished job matching a filter (--failed, --state)')
      .argument('[id]', `${JOB_ID_HELP} (omit with --failed or --state for a bulk replay)`, jobIdArgument)
      .option('--from <step>', 'step to start at (default: where the job stopped; the first for a succeeded job)', stepName)
      .option('--failed', 'bulk: replay failed jobs')
      .option('--state <states>', 'bulk: replay jobs in these finished states (failed, cancelled, succeeded)'),
  )
    .option('--limit <n>', 'bulk: at most this many (capped by AGENT_REPLAY_LIMIT)', positiveInt)
    .option('--dry-run', 'bulk: show what would be replayed, change nothing')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string | undefined,
        opts: FilterOptions & { from?: StepName; failed?: boolean; limit?: number; dryRun?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const bulk = opts.failed || opts.state !== undefined;
        const filtered = [opts.step, opts.errorCode, opts.prefix, opts.user, opts.since, opts.until, opts.limit, opts.dryRun].some((v) => v !== undefined);
        if (id !== undefined && (bulk || filtered)) {
          io.err('error: name a job id, or use --failed/--state with filters, not both');
          io.exitCode = ExitCode.usage;
          return;
        }
        if (id === undefined && !bulk) {
          io.err('error: name a job id, or --failed (or --state) for a bulk replay');
          io.exitCode = ExitCode.usage;
          return;
        }
        await runAdmin(io, cmd, opts.json ?? false, async (client) => {
          if (id !== undefined) {
            const r = await client.replay(await resolveJobId(client, id), opts.from);
            if (opts.json) io.out(JSON.stringify(r));
            else io.out(`replayed ${r.job_id} from ${r.from} (was ${r.previous_state} at ${r.previous_step}${r.error_code ? `: ${r.error_code}` : ''})`);
            return ExitCode.ok;
          }
          const report = await client.replayMatching({
            ...filterQuery(opts),
            state: opts.failed ? 'failed' : opts.state,
            from: opts.from,
            dry_run: opts.dryRun ?? false,
            limit: opts.limit,
          });
          if (opts.json) io.out(JSON.stringify(report));
          else for (const line of bulkReplayLines(report)) io.out(line);
          return report.refused.length ? ExitCode.failure : ExitCode.ok;
        });
      },
    );

  jobs
    .command('cancel')
    .description('cancel a queued or running job (a running expansion stops at its next entry)')
    .argument('<id>', JOB_ID_HELP, jobIdArgument)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await runAdmin(io, cmd, opts.json ?? false, async (client) => {
        const r = await client.cancel(await resolveJobId(client, id));
        if (opts.json) io.out(JSON.stringify(r));
        else if (r.outcome === 'cancelled') io.out(`cancelled ${r.job_id} (at ${r.step})`);
        else io.out(`cancel requested for ${r.job_id}: the running ${r.step} step stops at its next entry boundary (jobs watch ${r.job_id})`);
        return ExitCode.ok;
      });
    });

  jobs
    .command('watch')
    .description("follow a job's progress until it ends; the exit code is its outcome (0 succeeded, 1 failed, 6 cancelled)")
    .argument('<id>', JOB_ID_HELP, jobIdArgument)
    .option('--interval <seconds>', 'seconds between polls', (v) => Number(v), 1)
    .option('--json', 'print one JSON line per change')
    .action(async (id: string, opts: { interval: number; json?: boolean }, cmd: Command) => {
      await runAdmin(io, cmd, opts.json ?? false, async (client) =>
        watchJob(client, io, await resolveJobId(client, id), { intervalMs: Number.isFinite(opts.interval) && opts.interval > 0 ? opts.interval * 1000 : 1000, json: opts.json ?? false }),
      );
    });
}
