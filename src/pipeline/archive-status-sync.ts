import type pg from 'pg';
import { IrodsError, isNotFound, isUnauthorized } from '../irods/errors.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import { lifecycle, withTryAdvisoryLock, type JobRow } from '../store/index.js';
import { writeArchiveStatus, type ArchiveStatus, type ArchiveStatusValue } from './archive-status.js';

/**
 * The archive's status AVUs converge to the job row, which is the truth. Every write that
 * matters is remembered (jobs.archive_status) once it succeeded; a finished job whose archive
 * does not show its state yet (iRODS was down when the worker wrote it, or refused) is written
 * again by reconcileArchiveStatuses, which each worker process runs at start and every few
 * seconds, and the sweeper in each pass.
 */

export interface StatusSyncDeps {
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly log: Logger;
}

/**
 * Whether a job's state shows on its archive: a landing job's does; a registration on demand
 * (in another OMERO server) never changes what the archive says about its expansion.
 */
export const showsOnArchive = (job: Pick<JobRow, 'kind'> | undefined): boolean => job?.kind !== 'omero_register';

/** Writes the status AVUs; false (logged, never thrown) when iRODS did not take them. */
export async function tryWriteArchiveStatus(irods: IrodsClient, archiveLpath: string, status: ArchiveStatus, log: Logger): Promise<boolean> {
  try {
    await writeArchiveStatus(irods, archiveLpath, status);
    return true;
  } catch (err) {
    log.warn({ err, status: status.status }, 'could not write the status AVUs on the archive; the agent writes them again later');
    return false;
  }
}

/** What a finished job shows on its archive. */
export function finalArchiveStatus(job: JobRow): ArchiveStatus & { status: ArchiveStatusValue } {
  const status: ArchiveStatusValue = job.state === 'succeeded' ? 'expanded' : job.state === 'cancelled' ? 'cancelled' : 'failed';
  return {
    status,
    jobId: job.id,
    step: job.step,
    error: status === 'failed' ? (job.error_message ?? job.error_code ?? undefined) : undefined,
    expandedTo: job.target_path,
    flags: job.flags,
    warnings: job.warnings,
  };
}

/** Any constant: the key of the advisory lock that lets one process reconcile at a time. */
const RECONCILE_LOCK_KEY = 0x1a0e_a7a5;
/** Finished jobs older than this are left as they are (an admin sees them in `jobs list`). */
const RECONCILE_WITHIN_SECONDS = 7 * 24 * 3600;

export interface ReconcileReport {
  /** False when another process was reconciling (nothing was done). */
  readonly ran: boolean;
  readonly written: number;
  /** Jobs left pending because iRODS did not answer (tried again next time). */
  readonly deferred: boolean;
}

/**
 * Writes the status AVUs of recently finished jobs whose archive does not show their state yet.
 * Stops at the first failure that says iRODS is away (the rest would fail the same way); an
 * archive that no longer exists, or whose AVUs iRODS refuses, is not tried again.
 */
export async function reconcileArchiveStatuses(deps: StatusSyncDeps, options: { limit?: number } = {}): Promise<ReconcileReport> {
  const pass = await withTryAdvisoryLock(deps.pool, RECONCILE_LOCK_KEY, () => reconcilePending(deps, options.limit ?? 100));
  return pass.ran ? pass.value : { ran: false, written: 0, deferred: false };
}

async function reconcilePending(deps: StatusSyncDeps, limit: number): Promise<ReconcileReport> {
  const pending = await lifecycle.pendingArchiveStatuses(deps.pool, limit, RECONCILE_WITHIN_SECONDS);
  let written = 0;
  for (const { job, logicalPath } of pending) {
    const log = deps.log.child({ job_id: job.id, archive: logicalPath });
    try {
      await writeArchiveStatus(deps.irods, logicalPath, finalArchiveStatus(job));
    } catch (err) {
      if ((err instanceof IrodsError && err.retryable) || isUnauthorized(err)) {
        log.warn({ err, pending: pending.length - written }, 'iRODS is away or refuses the agent; the archives of finished jobs get their status AVUs later');
        return { ran: true, written, deferred: true };
      }
      // Nothing to show on an archive that is gone, and a refusal (permissions) would be
      // refused again every pass: both are said once and not tried again.
      if (isNotFound(err)) log.info('the archive of a finished job no longer exists; no status to write on it');
      else log.warn({ err }, 'iRODS refused the status AVUs of a finished job; not tried again (a replay writes them)');
    }
    if (await lifecycle.recordFinalArchiveStatus(deps.pool, job)) written += 1;
  }
  if (written) deps.log.info({ written }, 'wrote the status AVUs that finished jobs could not write');
  return { ran: true, written, deferred: false };
}
