import type pg from 'pg';
import { isDataRefusal } from '../pg-errors.js';
import type { JobRow, JobState } from '../repositories/jobs.js';
import { safeRendering } from '../safe-text.js';

/** Where a transition expects the job to be: its current run and step (what a BullMQ step job carries). */
export interface StepPointer {
  readonly jobId: string;
  readonly run: number;
  readonly step: string;
}

/** The WHERE clause of a transition that starts from `at` (parameters $1–$3, see atStep). */
export const AT_STEP = 'id = $1 AND run = $2 AND step = $3';

export function atStep(at: StepPointer): [string, number, string] {
  return [at.jobId, at.run, at.step];
}

/**
 * The job row, locked until the transaction ends, if it is at `at` in one of `states`: the guard
 * of a transition that writes only the step's rows (the job row itself does not change).
 */
export async function lockJobAt(tx: pg.PoolClient, at: StepPointer, states: readonly JobState[]): Promise<JobRow | undefined> {
  const { rows } = await tx.query<JobRow>(`SELECT * FROM jobs WHERE ${AT_STEP} AND state = ANY($4::text[]) FOR UPDATE`, [...atStep(at), states]);
  return rows[0];
}

/** Why a step attempt stopped, as the job and the step's row record it. */
export interface RecordedFailure {
  readonly code: string;
  /** A sentence a scientist understands. */
  readonly message: string;
  /** The archive entry it concerns, if any. */
  readonly entry?: string | undefined;
  readonly irodsStatus?: number | undefined;
}

/**
 * Runs `write` with the failure as it is; when PostgreSQL refuses its text (a database that is
 * not UTF-8, a check), once more with a safe rendering of it (printable ASCII, short), so that
 * the failure itself is never lost. `renderedSafely` says which one was recorded.
 */
export async function recordingSafely<T>(failure: RecordedFailure, write: (f: RecordedFailure, renderedSafely: boolean) => Promise<T>): Promise<T> {
  try {
    return await write(failure, false);
  } catch (err) {
    if (!isDataRefusal(err)) throw err;
    const rendered = { ...failure, message: safeRendering(failure.message), entry: failure.entry === undefined ? undefined : safeRendering(failure.entry) };
    return write(rendered, true);
  }
}
