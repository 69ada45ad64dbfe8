import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { omeroSyncs } from '../../store/index.js';
import { syncObject, type ObjectSyncDeps } from './object-sync.js';
import { asSyncFailure } from './sync-failure.js';
import type { SyncJobData } from './sync-queue.js';

/** When another sync of the same object is running, try this one again after this long. */
const BUSY_RETRY_MS = 2_000;

/**
 * Runs one queued sync: PostgreSQL says whether it is still to do (a stale entry is skipped),
 * a per-object lock keeps two syncs of one object apart (a later one waits for the running
 * one), then the sync itself; the row records each attempt, a retry (the queue's backoff) and
 * the end: succeeded or skipped with what was done, failed with a code and a sentence once a
 * failure cannot be helped by retrying or the attempts are spent. One log line per decision.
 */
export async function processSyncJob(deps: ObjectSyncDeps, bull: Job<SyncJobData>, token: string | undefined, signal: AbortSignal): Promise<void> {
  const { syncId } = bull.data;
  const sync = await omeroSyncs.getSync(deps.pool, syncId);
  const log = deps.log.child({ sync_id: syncId, lpath: sync?.logical_path });
  if (!sync || !['pending', 'running', 'retrying'].includes(sync.state)) {
    log.info({ state: sync?.state }, 'stale omero sync skipped');
    return;
  }
  if (sync.not_before.getTime() > Date.now()) {
    await bull.moveToDelayed(sync.not_before.getTime(), token);
    throw new DelayedError();
  }
  const client = await deps.pool.connect();
  let broken = false;
  try {
    if (!(await omeroSyncs.tryLockSyncPath(client, sync.logical_path))) {
      await bull.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    try {
      const attempt = await omeroSyncs.startSyncAttempt(deps.pool, syncId);
      if (!attempt) return;
      try {
        const result = await syncObject({ ...deps, log }, attempt, signal);
        await omeroSyncs.finishSync(deps.pool, syncId, result);
        log.info({ state: result.state, attempt: attempt.attempts, ...result.outcome }, 'omero sync ended');
      } catch (err) {
        const failure = asSyncFailure(err);
        const error = { code: failure.code, message: failure.message };
        const attempts = bull.opts.attempts ?? 1;
        if (!failure.retryable || bull.attemptsMade + 1 >= attempts) {
          await omeroSyncs.finishSync(deps.pool, syncId, { state: 'failed', outcome: { attempts: attempt.attempts }, error });
          log.warn({ err, code: failure.code, attempt: attempt.attempts }, 'omero sync failed');
          throw new UnrecoverableError(failure.message);
        }
        await omeroSyncs.recordSyncRetry(deps.pool, syncId, error);
        log.warn({ err, code: failure.code, attempt: attempt.attempts }, 'omero sync attempt failed; will try again');
        throw failure;
      }
    } finally {
      await omeroSyncs.unlockSyncPath(client, sync.logical_path).catch(() => {
        broken = true;
      });
    }
  } finally {
    // A connection that could not give the lock back is closed, never reused holding it.
    client.release(broken);
  }
}
