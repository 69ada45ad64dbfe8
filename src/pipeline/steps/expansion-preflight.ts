import { listEntries, type ArchiveFormat, type RandomAccessSource } from '../../archive/index.js';
import type { StepContext } from '../step-context.js';
import { checkLogicalQuotas } from './logical-quota-check.js';
import { checkTargetPaths } from './target-path-check.js';

/**
 * What inspect makes sure of before any write: every entry is listed (and checked as the
 * expansion will check it), every target path fits iRODS's limits (`path_too_long`) and the whole
 * expansion fits the logical quotas above the target (`quota_exceeded`). Returns what the
 * expansion will write, for the step's detail.
 */
export async function preflightExpansion(
  ctx: StepContext,
  source: RandomAccessSource,
  format: ArchiveFormat,
  target: string,
): Promise<{ files: number; bytes: number; quotas: number }> {
  const listing = await listEntries(source, format, ctx.config.limits, ctx.signal);
  checkTargetPaths(target, listing.entries.map((e) => e.path));
  const quotas = await checkLogicalQuotas(ctx, target, { files: listing.fileCount, bytes: listing.fileBytes });
  return { files: listing.fileCount, bytes: listing.fileBytes, quotas: quotas.length };
}
