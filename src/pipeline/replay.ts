import { Refused } from './refused.js';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { FIRST_STEP, STEP_ORDER, isStepName, lifecycle, type JobState, type StepName } from '../store/index.js';
import { countJobs, getJobListing, latestJobIdsForPaths, listJobs, type JobFilter, type JobListing } from '../store/repositories/job-search.js';
import { enqueueStart } from './enqueue-start.js';
import type { PipelineQueues } from './queues.js';

export type ReplayRefusalCode = 'not_found' | 'not_replayable' | 'superseded' | 'unknown_step' | 'step_disabled' | 'step_after_stop';

/** Why a job may not be replayed (the HTTP layer: not_found 404, the not_replayable/superseded 409, the rest 400). */
export class ReplayRefused extends Refused<ReplayRefusalCode> {
  override readonly name = 'ReplayRefused';
}

export interface ReplayDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** Only finished jobs are replayed; a queued or running one is already on its way. */
export const REPLAYABLE_STATES: readonly JobState[] = ['failed', 'cancelled', 'succeeded'];

/**
 * Where a replay of `job` starts, or why it may not. Default: the step where a failed or
 * cancelled job stopped (earlier steps' work is kept: each step is idempotent), the first step
 * for a succeeded job, unless its run was an `omero unregister` (that run again). A named step must not lie after the step where the job stopped: that
 * would skip the work that failed and mark the job succeeded without it.
 */
export function replayStart(config: Config, job: Pick<JobListing, 'state' | 'step'> & { readonly kind?: JobListing['kind'] }, requested?: string): StepName | ReplayRefused {
  if (!REPLAYABLE_STATES.includes(job.state)) {
    return new ReplayRefused('not_replayable', `the job is ${job.state}; only failed, cancelled or succeeded jobs can be replayed (cancel it first)`);
  }
  if (requested !== undefined && !isStepName(requested)) {
    return new ReplayRefused('unknown_step', `"${requested}" is not a step (${STEP_ORDER.join(', ')})`);
  }
  if (job.kind === 'omero_register') {
    // A registration on demand is the omero step alone.
    if (requested !== undefined && requested !== 'omero') return new ReplayRefused('unknown_step', `a registration in OMERO has one step, omero; it cannot start at ${requested}`);
    if (!config.omero.enabled) return new ReplayRefused('step_disabled', 'the omero step is switched off on this agent (OMERO_ENABLED)');
    return 'omero';
  }
  const stoppedAt = isStepName(job.step) ? job.step : FIRST_STEP;
  // A run an operator started with `omero unregister` is repeated as such (a no-op once done).
  const from: StepName = requested ?? (job.state === 'succeeded' && stoppedAt !== 'unregister' ? FIRST_STEP : stoppedAt);
  if ((from === 'omero' || from === 'unregister') && !config.omero.enabled) {
    return new ReplayRefused('step_disabled', `the ${from} step is switched off on this agent (OMERO_ENABLED)`);
  }
  if (from === 'unregister' && stoppedAt !== 'unregister') {
    return new ReplayRefused('step_disabled', 'the unregister step runs only when an operator asks for it: irods-omero-agent omero unregister <path>');
  }
  if (job.state !== 'succeeded' && STEP_ORDER.indexOf(from) > STEP_ORDER.indexOf(stoppedAt)) {
    return new ReplayRefused('step_after_stop', `the job stopped at ${stoppedAt}; a replay may start there or earlier, not at ${from}`);
  }
  return from;
}

export interface ReplayChoice {
  readonly jobId: string;
  readonly path: string;
  readonly from: StepName;
  readonly previousState: JobState;
  readonly previousStep: string;
  readonly errorCode: string | null;
}

/**
 * Starts a new run of one job (a new run number, so fresh BullMQ ids; the error cleared) and
 * enqueues its first step. The database change and the admin record commit together; if the
 * enqueue then fails, the job waits in the outbox and the next flush enqueues it.
 */
export async function replayJob(deps: ReplayDeps, jobId: string, options: { from?: string | undefined; actor: string }): Promise<ReplayChoice> {
  const job = await getJobListing(deps.pool, jobId);
  if (!job) throw new ReplayRefused('not_found', `no job ${jobId}`);
  const latest = await latestJobIdsForPaths(deps.pool, [job.archive.logical_path]);
  const newest = latest.get(job.archive.logical_path);
  // A registration on demand belongs to its landing job: current while that one is.
  if (newest !== undefined && newest !== (job.source_job_id ?? job.id)) {
    return refuse(deps, new ReplayRefused('superseded', `a newer version of this archive has its own job (${newest}); replay that one`));
  }
  const from = replayStart(deps.config, job, options.from);
  if (from instanceof ReplayRefused) return refuse(deps, from);
  return restart(deps, job, from, options.actor, {});
}

export interface BulkReplayReport {
  readonly dryRun: boolean;
  /** Jobs matching the filter (before the limit). */
  readonly matched: number;
  /** What was (or, in a dry run, would be) replayed. */
  readonly replayed: readonly ReplayChoice[];
  readonly refused: readonly { readonly jobId: string; readonly path: string; readonly code: ReplayRefusalCode; readonly message: string }[];
  /** More jobs matched than the limit allowed: run again to continue. */
  readonly truncated: boolean;
}

/**
 * Replays every job matching `filter` (finished jobs only, newest job of each archive only),
 * at most `limit` of them; newest first. A dry run answers what it would replay and changes
 * nothing. Safe to repeat: replayed jobs are queued and no longer match a finished state.
 */
export async function replayMatching(
  deps: ReplayDeps,
  filter: JobFilter,
  options: { from?: string | undefined; dryRun: boolean; limit: number; actor: string },
): Promise<BulkReplayReport> {
  const requested: readonly JobState[] = filter.states?.length ? filter.states : ['failed'];
  const states = requested.filter((s) => REPLAYABLE_STATES.includes(s));
  if (!states.length) throw new ReplayRefused('not_replayable', 'only failed, cancelled or succeeded jobs can be replayed');
  const effective: JobFilter = { ...filter, states, latestOnly: true, stuckAfterSeconds: undefined };
  const matched = await countJobs(deps.pool, effective);
  const candidates = await listJobs(deps.pool, effective, { limit: options.limit });
  const replayed: ReplayChoice[] = [];
  const refused: { jobId: string; path: string; code: ReplayRefusalCode; message: string }[] = [];
  for (const job of candidates) {
    const from = replayStart(deps.config, job, options.from);
    if (from instanceof ReplayRefused) {
      refused.push({ jobId: job.id, path: job.archive.logical_path, code: from.code, message: from.message });
      continue;
    }
    if (options.dryRun) {
      replayed.push(choiceOf(job, from));
      continue;
    }
    try {
      replayed.push(await restart(deps, job, from, options.actor, { bulk: true }));
    } catch (err) {
      if (!(err instanceof ReplayRefused)) throw err;
      refused.push({ jobId: job.id, path: job.archive.logical_path, code: err.code, message: err.message });
    }
  }
  if (!options.dryRun) {
    deps.log.info({ matched, replayed: replayed.length, refused: refused.length, actor: options.actor }, 'bulk replay');
  }
  return { dryRun: options.dryRun, matched, replayed, refused, truncated: matched > candidates.length };
}

function choiceOf(job: JobListing, from: StepName): ReplayChoice {
  return { jobId: job.id, path: job.archive.logical_path, from, previousState: job.state, previousStep: job.step, errorCode: job.error_code };
}

function refuse(deps: ReplayDeps, refusal: ReplayRefused): never {
  deps.metrics.adminActions.inc({ action: 'replay', outcome: 'refused' });
  throw refusal;
}

async function restart(deps: ReplayDeps, job: JobListing, from: StepName, actor: string, detail: Record<string, unknown>): Promise<ReplayChoice> {
  const choice = choiceOf(job, from);
  // Conditional on the job still being finished: a concurrent replay or a worker wins cleanly.
  const restarted = await lifecycle.restartJob(deps.pool, job.id, from, { actor, detail });
  if (!restarted) throw new ReplayRefused('not_replayable', 'the job changed meanwhile (replayed or running already)');
  deps.metrics.adminActions.inc({ action: 'replay', outcome: 'replayed' });
  deps.metrics.jobs.inc({ step: from, state: 'queued' });
  deps.log.info({ job_id: job.id, from, actor, archive: job.archive.logical_path }, 'job replayed');
  await enqueueStart(deps, restarted.job, from);
  return choice;
}
