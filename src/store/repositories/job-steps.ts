import type { Queryable } from '../pool.js';

// The reads of a job's steps; every write is a transition of the job lifecycle (../lifecycle/).

export type StepState = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface JobStepRow {
  job_id: string;
  run: number;
  step: string;
  state: StepState;
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  detail: Record<string, unknown>;
}

/** One attempt of a step, and the process that made it. */
export interface StepAttemptRow {
  job_id: string;
  run: number;
  step: string;
  attempt: number;
  host: string;
  pid: number;
  started_at: Date;
  finished_at: Date | null;
  /** running, succeeded, failed, retried (failed, to be tried again), rescheduled (not ready yet), skipped, cancelled */
  state: string;
  error_code: string | null;
}

/** Every attempt of every step of a job, in the order they started. */
export async function attemptsForJob(db: Queryable, jobId: string): Promise<StepAttemptRow[]> {
  const { rows } = await db.query<StepAttemptRow>('SELECT * FROM job_step_attempts WHERE job_id = $1 ORDER BY run, started_at, attempt', [jobId]);
  return rows;
}

export async function stepsForJob(db: Queryable, jobId: string): Promise<JobStepRow[]> {
  const { rows } = await db.query<JobStepRow>('SELECT * FROM job_steps WHERE job_id = $1 ORDER BY run, started_at NULLS LAST', [jobId]);
  return rows;
}
