import type pg from 'pg';
import { withTransaction } from '../pool.js';
import type { JobProgress } from '../repositories/jobs.js';
import { safeJson, safeText } from '../safe-text.js';
import type { StepPointer } from './guards.js';
import { addStepFlags, recordStepDetail } from './step-rows.js';

/**
 * What a running step records on its job besides transitions: progress, flags and warnings, the
 * target collection, facts in its detail. None of these moves the job; the step reaches them
 * through its context (pipeline/step-context.ts), never the job's state.
 */

export async function recordProgress(pool: pg.Pool, jobId: string, progress: JobProgress): Promise<void> {
  await pool.query(`UPDATE jobs SET progress = progress || $2::jsonb, updated_at = now() WHERE id = $1`, [jobId, safeJson(progress)]);
}

/**
 * Adds flags (e.g. incomplete) and warnings to the job and, in the same transaction, to the
 * step's own row, which a replay reads to forget what the steps it runs again raised.
 */
export async function recordFlags(pool: pg.Pool, at: StepPointer, flags: readonly string[], warnings: readonly string[]): Promise<void> {
  await withTransaction(pool, async (tx) => {
    if (flags.length || warnings.length) {
      await tx.query(
        `UPDATE jobs SET
           flags = ARRAY(SELECT DISTINCT f FROM unnest(flags || $2::text[]) AS f ORDER BY f),
           warnings = (SELECT COALESCE(jsonb_agg(DISTINCT w), '[]'::jsonb) FROM jsonb_array_elements(warnings || $3::jsonb) AS w),
           updated_at = now()
         WHERE id = $1`,
        [at.jobId, flags.map((f) => safeText(f)), safeJson(warnings)],
      );
    }
    await addStepFlags(tx, at.jobId, at.run, at.step, flags, warnings);
  });
}

/** The collection the archive expands into, once the step has decided (or confirmed) it. */
export async function recordTarget(pool: pg.Pool, jobId: string, lpath: string): Promise<void> {
  await pool.query('UPDATE jobs SET target_path = $2, updated_at = now() WHERE id = $1', [jobId, safeText(lpath)]);
}

/** Merges facts into the running step's detail now (the rest is written when the step ends). */
export async function recordDetail(pool: pg.Pool, at: StepPointer, detail: Record<string, unknown>): Promise<void> {
  await recordStepDetail(pool, at.jobId, at.run, at.step, detail);
}
