import type { Command } from 'commander';
import type { SweepReport } from '../pipeline/sweeper.js';
import { ExitCode } from './exit-codes.js';
import { withConfig, type CliIo } from './io.js';
import { shortTime, table } from './jobs-format.js';
import { ServiceUnreachable, connectionFailure, irodsAddress, postgresAddress, redisAddress } from './service-unreachable.js';

function reportLines(r: SweepReport): string[] {
  if (!r.ran) return ['another agent is sweeping right now; nothing done'];
  const out = [`scanned ${r.scanned} archive(s) in the watched collections${r.dryRun ? ' (dry run: nothing changed)' : ''}`];
  out.push(`missed: ${r.missed.length} archive(s) whose event never came`);
  if (r.missed.length) {
    out.push(
      ...table(
        ['ARCHIVE', 'OWNER', 'WHY', r.dryRun ? '' : 'JOB'],
        r.missed.map((m) => [m.path, m.owner, m.reason, r.dryRun ? '' : `${m.jobId ?? '-'} (${m.verdict ?? '?'})`]),
      ).map((l) => `  ${l}`),
    );
  }
  out.push(`stuck: ${r.stuckCount} job(s) queued or running without change`);
  if (r.stuck.length) {
    out.push(
      ...table(
        ['JOB', 'STATE', 'STEP', 'SINCE', 'ARCHIVE'],
        r.stuck.map((s) => [s.jobId, s.state, s.step, shortTime(s.updatedAt), `${s.path}${s.requeued ? '  (re-enqueued: Redis had lost it)' : ''}`]),
      ).map((l) => `  ${l}`),
    );
  }
  out.push(`outbox: ${r.outbox} job(s) ${r.dryRun ? 'waiting to be enqueued' : 'enqueued'}`);
  const verb = r.dryRun ? 'would be' : 'were';
  if (r.orphans.requeued.length) out.push(`lost by Redis: ${r.orphans.requeued.length} job(s) ${verb} enqueued again: ${r.orphans.requeued.join(', ')}`);
  if (r.orphans.failed.length) out.push(`failed by BullMQ without a record: ${r.orphans.failed.length} job(s) ${verb} failed: ${r.orphans.failed.join(', ')}`);
  if (r.statusesWritten) out.push(`status AVUs written on the archives of ${r.statusesWritten} finished job(s)`);
  return out;
}

/**
 * `irods-omero-agent sweep`: one reconcile pass now, from this process (PostgreSQL, Redis and
 * iRODS as configured), the same pass the agents run every AGENT_SWEEP_INTERVAL_SECONDS.
 */
export function registerSweepCommand(program: Command, io: CliIo): void {
  program
    .command('sweep')
    .description('find archives whose event never came, stuck jobs and unsent outbox rows, and fix what can be fixed')
    .option('--dry-run', 'report only; create and enqueue nothing')
    .option('--json', 'print the report as JSON')
    .action(withConfig(io, async (config, opts: { dryRun?: boolean; json?: boolean }) => {
      // Loaded here, not at the top: every other command (jobs list…) would pay for them at start.
      const [{ pino }, { IrodsError }, { createIrodsClientFromConfig }, { createLogger }, { createMetrics }, queuesModule, { sweep }, { createPool }] =
        await Promise.all([
          import('pino'),
          import('../irods/errors.js'),
          import('./irods-from-config.js'),
          import('../logging/logger.js'),
          import('../observability/metrics.js'),
          import('../pipeline/queues.js'),
          import('../pipeline/sweeper.js'),
          import('../store/index.js'),
        ]);
      const { PipelineQueues, createProducerConnection } = queuesModule;
      // Logs go to stderr: stdout is the report (and JSON for scripts).
      const log = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination({ fd: 2, sync: true }));
      const irods = createIrodsClientFromConfig(config, log);
      const pool = createPool(config.databaseUrl, { max: 3 });
      const connection = createProducerConnection(config.redisUrl);
      connection.on('error', (err) => log.debug({ err }, 'redis connection error'));
      const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
      try {
        if (!(await queues.waitUntilReady(5_000))) {
          throw new ServiceUnreachable(redisAddress(config.redisUrl), 'does not answer');
        }
        const report = await sweep({ config, pool, queues, irods, log, metrics: createMetrics({ defaultMetrics: false }) }, { dryRun: opts.dryRun ?? false });
        if (opts.json) io.out(JSON.stringify(report));
        else for (const line of reportLines(report)) io.out(line);
        io.exitCode = ExitCode.ok;
      } catch (err) {
        if (err instanceof IrodsError && err.retryable) {
          throw new ServiceUnreachable(irodsAddress(config.irods.baseUrl), `failed: ${err.message}`, { cause: err });
        }
        // Redis answered above, and iRODS errors are IrodsErrors: a refused connection left is PostgreSQL's.
        const failure = connectionFailure(err);
        if (failure !== undefined) throw new ServiceUnreachable(postgresAddress(config.databaseUrl), failure, { cause: err });
        throw err;
      } finally {
        await queues.close().catch(() => undefined);
        connection.disconnect();
        await pool.end().catch(() => undefined);
        await irods.close().catch(() => undefined);
      }
    }));
}
