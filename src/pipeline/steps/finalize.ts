import { jobs } from '../../store/index.js';
import { writeArchiveStatus } from '../archive-status.js';
import type { StepContext, StepResult } from '../step-context.js';

/** Tells the user it worked: the archive's status AVUs become `expanded`, with flags and warnings. */
export async function finalize(ctx: StepContext): Promise<StepResult> {
  const job = (await jobs.getJob(ctx.pool, ctx.job.id)) ?? ctx.job;
  await writeArchiveStatus(ctx.irods, ctx.archive.logical_path, {
    status: 'expanded',
    jobId: job.id,
    expandedTo: job.target_path,
    flags: job.flags,
    warnings: job.warnings,
  });
  await jobs.recordArchiveStatus(ctx.pool, job.id, job.run, 'expanded');
  return { detail: { expanded_to: job.target_path, flags: job.flags } };
}
