import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { expect } from 'vitest';
import { archives, lifecycle, type JobRow, type JobState } from '../../src/store/index.js';

/**
 * Jobs laid out in PostgreSQL for the lifecycle's own tests: a job at a given run, step and
 * state, everything a job and its steps hold read back in one snapshot, and a fault PostgreSQL
 * raises on one table, to break a transition between its writes.
 */

/** A job whose first step (inspect) has started in run 1: where it is, for the transitions. */
export async function startedJob(pool: pg.Pool, step = 'inspect'): Promise<{ jobId: string; run: number; step: string }> {
  const job = await jobAt(pool, { step });
  const at = { jobId: job.id, run: 1, step };
  if (!(await lifecycle.startStep(pool, at))) throw new Error('the step did not start');
  return at;
}

/** A new job (queued at inspect, run 1, no debounce), moved to `at` by hand when asked. */
export async function jobAt(pool: pg.Pool, at: { state?: JobState; step?: string; run?: number } = {}): Promise<JobRow> {
  const archive = await archives.insertArchive(pool, 'tempZone', `/tempZone/home/alice/${randomBytes(4).toString('hex')}.zip`, { size: 1 });
  const job = await lifecycle.createJob(pool, archive.id, 'inspect', null);
  const { rows } = await pool.query<JobRow>(
    `UPDATE jobs SET state = $2, step = $3, run = $4, finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'cancelled') THEN now() END
      WHERE id = $1 RETURNING *`,
    [job.id, at.state ?? 'queued', at.step ?? 'inspect', at.run ?? 1],
  );
  return rows[0] as JobRow;
}

export interface JobSnapshot {
  readonly job: Record<string, unknown>;
  readonly steps: Record<string, unknown>[];
  readonly attempts: Record<string, unknown>[];
  readonly adminActions: Record<string, unknown>[];
}

/** Every row that holds the job's state: compare two to prove a refused transition changed nothing. */
export async function snapshot(pool: pg.Pool, jobId: string): Promise<JobSnapshot> {
  const [job, steps, attempts, adminActions] = await Promise.all([
    pool.query('SELECT * FROM jobs WHERE id = $1', [jobId]),
    pool.query('SELECT * FROM job_steps WHERE job_id = $1 ORDER BY run, step', [jobId]),
    pool.query('SELECT * FROM job_step_attempts WHERE job_id = $1 ORDER BY run, step, attempt', [jobId]),
    pool.query('SELECT * FROM admin_actions WHERE job_id = $1 ORDER BY id', [jobId]),
  ]);
  return { job: job.rows[0] as Record<string, unknown>, steps: steps.rows, attempts: attempts.rows, adminActions: adminActions.rows };
}

/**
 * Makes PostgreSQL refuse every `operation` (INSERT or UPDATE) on `table` until the returned
 * function is called: the second write of a transition fails after the first one was made.
 */
export async function refuseWrites(pool: pg.Pool, table: string, operation: 'INSERT' | 'UPDATE'): Promise<() => Promise<void>> {
  const name = `fault_${table}_${operation.toLowerCase()}`;
  await pool.query(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault on ${table}'; END $$;
    CREATE TRIGGER ${name} BEFORE ${operation} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}();`);
  return async () => {
    await pool.query(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}();`);
  };
}

/** Runs `transition` while `table` refuses `operation`, and expects it to fail with that fault. */
export async function failsUnderFault(pool: pg.Pool, table: string, operation: 'INSERT' | 'UPDATE', transition: () => Promise<unknown>): Promise<void> {
  const restore = await refuseWrites(pool, table, operation);
  try {
    await expect(transition()).rejects.toThrow(/injected fault/);
  } finally {
    await restore();
  }
}
