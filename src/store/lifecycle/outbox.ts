import type pg from 'pg';
import { withTransaction, type Queryable } from '../pool.js';
import type { JobRow } from '../repositories/jobs.js';
import type { StepPointer } from './guards.js';

/**
 * The outbox: a queued or running job whose current step is not marked enqueued (enqueued_at
 * NULL) may not be in BullMQ. Every transition that puts a job at a new step (the intake, an
 * advance, a replay) leaves it unmarked, in the same transaction; whoever then adds the step job
 * to BullMQ marks it (markEnqueued), and a flush adds what nobody did.
 */

/**
 * Marks the job's step as handed to BullMQ, if the job is still at that run and step. Marking
 * twice is harmless (BullMQ ids are per job, run and step, so adding twice is too). It does not
 * count as a change of the job (updated_at stays): the sweeper measures quiet from it.
 */
export async function markEnqueued(pool: pg.Pool, at: StepPointer): Promise<void> {
  await markIn(pool, at);
}

async function markIn(db: Queryable, at: StepPointer): Promise<void> {
  await db.query('UPDATE jobs SET enqueued_at = now() WHERE id = $1 AND run = $2 AND step = $3', [at.jobId, at.run, at.step]);
}

/**
 * The outbox condition: a job not marked enqueued whose step should have started more than
 * `graceSeconds` ago (its last change, or the end of its debounce). The intake does not mark the
 * first step enqueued (a second write per event); the step marks it when it starts (startStep).
 */
const OUTBOX = `enqueued_at IS NULL AND state IN ('queued', 'running')
  AND GREATEST(updated_at, COALESCE(not_before, updated_at)) <= now() - make_interval(secs => $1::double precision)`;

/**
 * One batch of the outbox flush: up to `limit` jobs in the outbox (oldest first), locked so two
 * agents never take the same one, each handed to `send` (which adds its step job to BullMQ and
 * says whether it did) and marked enqueued when it did. Returns how many jobs were taken.
 */
export async function drainOutbox(
  pool: pg.Pool,
  options: { readonly limit: number; readonly graceSeconds: number },
  send: (job: JobRow) => Promise<boolean>,
): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<JobRow>(`SELECT * FROM jobs WHERE ${OUTBOX} ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [
      options.graceSeconds,
      options.limit,
    ]);
    for (const job of rows) {
      if (await send(job)) await markIn(tx, { jobId: job.id, run: job.run, step: job.step });
    }
    return rows.length;
  });
}

/** How many jobs are in the outbox (a dry-run sweep's answer). */
export async function countOutbox(db: Queryable, graceSeconds: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE ${OUTBOX}`, [graceSeconds]);
  return rows[0]?.n ?? 0;
}
