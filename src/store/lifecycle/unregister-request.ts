import type pg from 'pg';
import { withTransaction } from '../pool.js';
import { safeJson } from '../safe-text.js';
import { restartInTransaction, type Restarted } from './replay.js';

/** What an operator asked `omero unregister` to do; the unregister step reads it from its row. */
export interface UnregisterRequest {
  /** The OMERO server's name in the configuration (`default`: the OMERO_* settings). */
  readonly server: string;
  /** Who asked (`operator:<fingerprint>`, as admin_actions records it). */
  readonly requested_by: string;
  readonly requested_at: string;
}

/**
 * finished (succeeded, failed or cancelled) → queued at `unregister`, in a new run, in the outbox,
 * as a replay is (restartJob), recorded as the operator's `omero_unregister` (admin_actions); the
 * request is the new run's unregister row's detail (`request`), written in the same transaction,
 * so the step never runs without it. Undefined when the job is not finished (nothing changes).
 */
export async function requestUnregister(pool: pg.Pool, jobId: string, request: { readonly server: string; readonly actor: string }): Promise<Restarted | undefined> {
  return withTransaction(pool, async (tx) => {
    const restarted = await restartInTransaction(tx, jobId, 'unregister', { actor: request.actor, detail: { server: request.server }, action: 'omero_unregister' });
    if (!restarted) return undefined;
    const detail: UnregisterRequest = { server: request.server, requested_by: request.actor, requested_at: new Date().toISOString() };
    await tx.query(`INSERT INTO job_steps (job_id, run, step, state, detail) VALUES ($1, $2, 'unregister', 'queued', $3)`, [
      jobId,
      restarted.job.run,
      safeJson({ request: detail }),
    ]);
    return restarted;
  });
}
