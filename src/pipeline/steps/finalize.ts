import { writeArchiveStatus } from '../archive-status.js';
import type { StepContext, StepResult } from '../step-context.js';

/**
 * Tells the user it worked: the archive's status AVUs become `expanded`, with flags and warnings.
 * The runner remembers that they say so (jobs.archive_status) with the job's success.
 */
export async function finalize(ctx: StepContext): Promise<StepResult> {
  const job = await ctx.currentJob();
  await writeArchiveStatus(ctx.irods, ctx.archive.logical_path, {
    status: 'expanded',
    jobId: job.id,
    expandedTo: job.target_path,
    flags: job.flags,
    warnings: job.warnings,
  });
  return { detail: { expanded_to: job.target_path, flags: job.flags }, archiveStatus: 'expanded' };
}
