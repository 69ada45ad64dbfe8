import { startPeriodicPass, type PeriodicHandle } from '../runtime/periodic-pass.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import { Intake } from '../intake/accept-event.js';
import { sameVersion } from '../intake/archive-version.js';
import { LANDED_EVENT, type EventBody } from '../intake/landed-event.js';
import { classifyPath } from '../intake/watch-filter.js';
import { dataObjectsNamedLike, UnquotableQueryError, type IrodsClient } from '../irods/index.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { lifecycle, withTryAdvisoryLock } from '../store/index.js';
import { recordAdminAction } from '../store/repositories/admin-actions.js';
import { countStuckJobs, latestArchivesForPaths, listJobs, pathsInsideTargets } from '../store/repositories/job-search.js';
import { reconcileArchiveStatuses } from './archive-status-sync.js';
import { requeueIfLost, settleOrphanedSteps, type OrphanReport } from './orphaned-steps.js';
import { flushOutbox, OUTBOX_GRACE_SECONDS } from './outbox.js';
import type { PipelineQueues } from './queues.js';

export interface SweepDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** Any constant: the key of the advisory lock that lets one agent sweep at a time. */
const SWEEP_LOCK_KEY = 0x1a0e_5eee;
/** Stuck jobs listed in a report (all are counted). */
const STUCK_LISTED = 100;

export interface MissedArchive {
  readonly path: string;
  readonly size: number | undefined;
  readonly owner: string;
  /** no_job: nothing ever recorded for the path; new_version: the object changed since its last job. */
  readonly reason: 'no_job' | 'new_version';
  /** What the intake decided (not in a dry run): accepted makes a job. */
  readonly verdict?: string | undefined;
  readonly jobId?: string | undefined;
}

export interface StuckJob {
  readonly jobId: string;
  readonly state: string;
  readonly step: string;
  readonly path: string;
  readonly updatedAt: string;
  /** Its BullMQ job was gone (Redis lost it), so the sweep enqueued it again. */
  readonly requeued: boolean;
}

export interface SweepReport {
  readonly dryRun: boolean;
  /** False when another agent held the sweep lock (nothing was done). */
  readonly ran: boolean;
  readonly scanned: number;
  readonly missed: readonly MissedArchive[];
  readonly stuckCount: number;
  readonly stuck: readonly StuckJob[];
  /** Jobs enqueued from the outbox (in a dry run: waiting there). */
  readonly outbox: number;
  /** Queued or running jobs whose BullMQ job was lost (enqueued again) or failed (failed here too). */
  readonly orphans: OrphanReport;
  /** Finished jobs whose archive now shows their state (its status AVUs had not been written). */
  readonly statusesWritten: number;
  readonly seconds: number;
}

interface FoundObject {
  readonly path: string;
  readonly size: number | undefined;
  readonly checksum: string | undefined;
  readonly modifiedAt: Date | undefined;
  readonly owner: string;
}

/**
 * One reconcile pass, under an advisory lock so several agents may call it at once:
 * - archives in watched collections that have no job (a missed event: the client died before
 *   close, the rule was not installed yet, the agent was down past the rules' retries) get one
 *   through the intake, exactly as if their event had arrived;
 * - jobs stuck in queued/running are listed, counted, and re-enqueued if Redis lost them;
 * - outbox rows (committed, never enqueued) are enqueued;
 * - queued or running jobs whose step BullMQ failed without the runner recording it (a worker
 *   that died too often, a failure PostgreSQL could not take) are failed, so none stays running
 *   without a worker;
 * - finished jobs whose archive does not show their state yet get their status AVUs.
 */
export async function sweep(deps: SweepDeps, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<SweepReport> {
  const dryRun = options.dryRun ?? false;
  try {
    const pass = await withTryAdvisoryLock(deps.pool, SWEEP_LOCK_KEY, () => sweepLocked(deps, dryRun, options.signal));
    if (pass.ran) return pass.value;
    deps.metrics.sweeps.inc({ outcome: 'skipped' });
    deps.log.info('another agent is sweeping; skipped');
    return { dryRun, ran: false, scanned: 0, missed: [], stuckCount: 0, stuck: [], outbox: 0, orphans: { requeued: [], failed: [] }, statusesWritten: 0, seconds: 0 };
  } catch (err) {
    deps.metrics.sweeps.inc({ outcome: 'failed' });
    throw err;
  }
}

async function sweepLocked(deps: SweepDeps, dryRun: boolean, signal: AbortSignal | undefined): Promise<SweepReport> {
  const started = Date.now();
  // Jobs overdue by the outbox grace only: a healthy job waiting for its debounce is not "found".
  const outbox = dryRun ? await lifecycle.countOutbox(deps.pool, OUTBOX_GRACE_SECONDS) : await flushOutbox(deps);
  if (outbox && !dryRun) deps.metrics.sweepFound.inc({ kind: 'outbox' }, outbox);
  const { scanned, missed } = await findMissedArchives(deps, dryRun, signal);
  const { stuckCount, stuck } = await surfaceStuckJobs(deps, dryRun);
  const orphans = await settleOrphanedSteps(deps, { dryRun });
  // After the orphans: a job failed just now gets its status on the archive in this pass.
  const statusesWritten = dryRun ? 0 : (await reconcileArchiveStatuses(deps)).written;
  const report: SweepReport = {
    dryRun,
    ran: true,
    scanned,
    missed,
    stuckCount,
    stuck,
    outbox,
    orphans,
    statusesWritten,
    seconds: (Date.now() - started) / 1000,
  };
  deps.metrics.sweeps.inc({ outcome: 'done' });
  deps.log.info(
    {
      dry_run: dryRun,
      scanned,
      missed: missed.length,
      stuck: stuckCount,
      outbox,
      requeued: orphans.requeued.length,
      failed_orphans: orphans.failed.length,
      statuses_written: statusesWritten,
      seconds: Number(report.seconds.toFixed(3)),
    },
    'sweep done',
  );
  return report;
}

/** Every archive-looking data object under the watched prefixes, one row per object (not per replica). */
async function listWatchedArchives(deps: SweepDeps, signal: AbortSignal | undefined): Promise<FoundObject[]> {
  const found = new Map<string, FoundObject>();
  const suffixes = [...new Set(deps.config.watch.archiveSuffixes.flatMap((s) => [s, s.toUpperCase()]))];
  for (const prefix of deps.config.watch.prefixes) {
    try {
      for await (const { lpath: path, size, checksum, modifiedAt, owner } of dataObjectsNamedLike(deps.irods.query, prefix, suffixes, signal)) {
        if (!found.has(path)) found.set(path, { path, size, checksum, modifiedAt, owner });
      }
    } catch (err) {
      if (!(err instanceof UnquotableQueryError)) throw err;
      deps.log.warn({ prefix }, 'a watched prefix with a single quote cannot be swept (GenQuery1 cannot quote it)');
    }
  }
  return [...found.values()];
}

async function findMissedArchives(deps: SweepDeps, dryRun: boolean, signal: AbortSignal | undefined): Promise<{ scanned: number; missed: MissedArchive[] }> {
  const { config } = deps;
  const objects = await listWatchedArchives(deps, signal);
  const graceEdge = Date.now() - config.sweeper.graceSeconds * 1000;
  const watched = objects.filter((o) => {
    const verdict = classifyPath(o.path, o.owner, {
      prefixes: config.watch.prefixes,
      archiveSuffixes: config.watch.archiveSuffixes,
      agentUser: config.irods.username,
    });
    // Recently modified objects are left to their own event, which may still be on its way.
    return verdict.watched && (o.modifiedAt === undefined || o.modifiedAt.getTime() <= graceEdge);
  });
  const paths = watched.map((o) => o.path);
  // The agent's own output (an archive attached inside an expanded tree) is never an upload.
  const inside = await pathsInsideTargets(deps.pool, paths);
  const known = await latestArchivesForPaths(deps.pool, paths);
  const missed: MissedArchive[] = [];
  const intake = new Intake(deps);
  for (const o of watched) {
    if (inside.has(o.path)) continue;
    const archive = known.get(o.path);
    let reason: MissedArchive['reason'];
    if (!archive) reason = 'no_job';
    else if (!sameVersion(archive, o)) reason = 'new_version';
    else continue;
    if (dryRun) {
      missed.push({ path: o.path, size: o.size, owner: o.owner, reason });
      continue;
    }
    missed.push(await submitMissed(deps, intake, o, reason));
  }
  return { scanned: objects.length, missed };
}

/** Hands a missed archive to the intake as the event that never came (recorded like any event). */
async function submitMissed(deps: SweepDeps, intake: Intake, o: FoundObject, reason: MissedArchive['reason']): Promise<MissedArchive> {
  const zone = o.path.split('/')[1] ?? deps.config.irods.zone;
  const body: EventBody = {
    type: LANDED_EVENT,
    timestamp: new Date().toISOString(),
    data: {
      zone,
      logical_path: o.path,
      user: o.owner,
      pep: 'sweeper',
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.checksum !== undefined ? { checksum: o.checksum } : {}),
    },
  };
  const rawBody = JSON.stringify(body);
  const outcome = await intake.accept({ webhookId: `sweep_${randomUUID()}`, headers: {}, rawBody, body });
  if (outcome.verdict === 'accepted' && outcome.jobId) {
    deps.metrics.sweepFound.inc({ kind: 'missed_archive' });
    await recordAdminAction(deps.pool, { jobId: outcome.jobId, action: 'sweep_created', actor: 'sweeper', detail: { reason, event_id: outcome.eventId } });
    deps.log.warn({ archive: o.path, job_id: outcome.jobId, reason }, 'sweep found an archive whose event never came; job created');
  }
  return { path: o.path, size: o.size, owner: o.owner, reason, verdict: outcome.verdict, jobId: outcome.jobId };
}

async function surfaceStuckJobs(deps: SweepDeps, dryRun: boolean): Promise<{ stuckCount: number; stuck: StuckJob[] }> {
  const after = deps.config.sweeper.stuckAfterSeconds;
  const stuckCount = await countStuckJobs(deps.pool, after);
  deps.metrics.jobsStuck.set(stuckCount);
  if (!stuckCount) return { stuckCount, stuck: [] };
  const rows = await listJobs(deps.pool, { stuckAfterSeconds: after }, { limit: STUCK_LISTED });
  const stuck: StuckJob[] = [];
  for (const job of rows) {
    // Marked enqueued but unknown to BullMQ: Redis lost it. PostgreSQL has everything to rebuild it.
    const requeued = !dryRun && job.enqueued_at !== null && (await requeueIfLost(deps, job));
    deps.log.warn(
      { job_id: job.id, state: job.state, step: job.step, archive: job.archive.logical_path, updated_at: job.updated_at.toISOString(), requeued },
      'job stuck',
    );
    stuck.push({ jobId: job.id, state: job.state, step: job.step, path: job.archive.logical_path, updatedAt: job.updated_at.toISOString(), requeued });
  }
  return { stuckCount, stuck };
}

export type SweeperHandle = PeriodicHandle;

/**
 * Sweeps every `config.sweeper.intervalSeconds` (0: never). A failed sweep is logged and the next
 * one runs on time; close() waits for a sweep in progress after aborting its iRODS queries.
 */
export function startSweeper(deps: SweepDeps): SweeperHandle {
  return startPeriodicPass({
    name: 'sweeper',
    intervalSeconds: deps.config.sweeper.intervalSeconds,
    runAtStart: false,
    log: deps.log,
    failureLevel: 'error',
    failureMessage: 'sweep failed; the next one runs on schedule',
    pass: (signal) => sweep(deps, { signal }),
  });
}
