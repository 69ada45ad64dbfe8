import type pg from 'pg';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { jobs, lifecycle, type ArchiveRow, type StepPointer } from '../store/index.js';
import { showsOnArchive, tryWriteArchiveStatus } from './archive-status-sync.js';
import type { Failure } from './failure-classification.js';

/**
 * How a step attempt that did not succeed ends, around its lifecycle transition: a failure (of
 * the attempt, or of the job), a cancel, or a wait for iRODS to accept the agent's login. The
 * transition records it in PostgreSQL (a safe rendering when PostgreSQL refuses the text as it
 * is, so no job stays `running` with nobody on it); this side writes the archive's status AVUs,
 * counts and logs.
 */

export interface OutcomeDeps {
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly metrics: Metrics;
}

function warnIfRendered(recorded: { renderedSafely: boolean } | undefined, failure: Failure, log: Logger): void {
  if (recorded?.renderedSafely) log.warn({ code: failure.code }, 'PostgreSQL refused the failure as it was; recorded a safe rendering of it');
}

/** Records a failed attempt that BullMQ will try again. */
export async function recordRetry(deps: OutcomeDeps, at: StepPointer, failure: Failure, log: Logger): Promise<void> {
  const recorded = await lifecycle.retryStep(deps.pool, at, failure);
  if (!recorded) log.info('the job moved on meanwhile; the failed attempt was not recorded');
  warnIfRendered(recorded, failure, log);
}

/**
 * Fails the job. The archive's AVUs are written before the row turns final, so whoever sees
 * `failed` in the database (the admin API, a waiting test) also sees it on the archive; when
 * iRODS does not take them, the row remembers it and they are written again later.
 */
export async function failJob(deps: OutcomeDeps, at: StepPointer, archive: ArchiveRow, failure: Failure & { readonly cause: unknown }, log: Logger): Promise<void> {
  const latest = await jobs.getJob(deps.pool, at.jobId);
  const written = showsOnArchive(latest) && await tryWriteArchiveStatus(
    deps.irods,
    archive.logical_path,
    { status: 'failed', jobId: at.jobId, step: at.step, error: failure.message, expandedTo: latest?.target_path, flags: latest?.flags, warnings: latest?.warnings },
    log,
  );
  const recorded = await lifecycle.failStep(deps.pool, at, failure, { archiveShows: written });
  if (!recorded) {
    log.warn({ err: failure.cause, code: failure.code }, 'step failed, but the job had moved on meanwhile; not recorded');
    return;
  }
  warnIfRendered(recorded, failure, log);
  deps.metrics.jobs.inc({ step: at.step, state: 'failed' });
  log.error({ err: failure.cause, code: failure.code }, 'step failed; job failed');
}

/** Cancels the job at its step, after writing `cancelled` on the archive. */
export async function markCancelled(deps: OutcomeDeps, at: StepPointer, archive: ArchiveRow, log: Logger): Promise<void> {
  const latest = await jobs.getJob(deps.pool, at.jobId);
  const written = showsOnArchive(latest) && await tryWriteArchiveStatus(
    deps.irods,
    archive.logical_path,
    { status: 'cancelled', jobId: at.jobId, step: at.step, expandedTo: latest?.target_path, flags: latest?.flags, warnings: latest?.warnings },
    log,
  );
  if (!(await lifecycle.cancelAtStep(deps.pool, at, { archiveShows: written }))) {
    log.info({ state: latest?.state }, 'the job moved on meanwhile; not cancelled here');
    return;
  }
  deps.metrics.jobs.inc({ step: at.step, state: 'cancelled' });
  log.info('job cancelled');
}

/**
 * iRODS refused the agent's own login: nothing the job did is wrong, and nothing it can do
 * helps. The step waits (not an attempt, not a failure), and runs again once iRODS accepts the agent.
 */
export async function waitForLogin(deps: OutcomeDeps, at: StepPointer, failure: Failure, log: Logger): Promise<void> {
  await lifecycle.waitForLogin(deps.pool, at, failure);
  log.warn({ code: failure.code }, "iRODS refuses the agent's login; the step waits and tries again");
}
