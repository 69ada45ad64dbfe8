import { isNotFound } from '../../irods/errors.js';
import { collectionAttributeValues } from '../../irods/index.js';
import { AGENT_NS } from '../archive-status.js';
import type { StepContext } from '../step-context.js';
import { StepFailure } from '../step-errors.js';

/** The collection an archive expands into: its path without the archive suffix (DESIGN.md). */
export function targetCollectionFor(archiveLpath: string, suffixes: readonly string[]): string {
  const lower = archiveLpath.toLowerCase();
  const suffix = [...suffixes].sort((a, b) => b.length - a.length).find((s) => lower.endsWith(s));
  return suffix ? archiveLpath.slice(0, -suffix.length) : `${archiveLpath}.expanded`;
}

/** The marker AVUs that make a collection recognisably this job's own (partial) result. */
export const SOURCE_JOB = `${AGENT_NS}source_job`;
export const SOURCE_ARCHIVE = `${AGENT_NS}source_archive`;

export type TargetState = 'absent' | 'ours';

/**
 * Whether the target may be written by this job: absent, or this job's own earlier (partial)
 * result — marked by SOURCE_JOB on the collection, or created by this job per the audit trail
 * (a crash between creating and marking). Anything else is a conflict: never overwritten.
 */
export async function checkTarget(ctx: Pick<StepContext, 'irods' | 'job' | 'archive' | 'audited'>, target: string): Promise<TargetState> {
  const { irods } = ctx;
  const jobId = ctx.job.id;
  const archiveLpath = ctx.archive.logical_path;
  try {
    await irods.collections.stat(target);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await irods.dataObjects.stat(target);
    } catch (inner) {
      if (isNotFound(inner)) return 'absent';
      throw inner;
    }
    throw conflict(target, jobId, archiveLpath, 'a data object');
  }
  // Paths with a single quote are refused by inspect (GenQuery1 cannot quote them).
  if ((await collectionAttributeValues(irods.query, target, SOURCE_JOB)).includes(jobId)) return 'ours';
  if (await ctx.audited('create_collection', target)) return 'ours';
  throw conflict(target, jobId, archiveLpath, 'a collection');
}

function conflict(target: string, jobId: string, archiveLpath: string, what: string): StepFailure {
  return new StepFailure(
    'target_exists',
    `${target} already exists as ${what} that this archive's job did not make, so nothing was expanded and nothing was changed. ` +
      `Move or remove it (or the archive ${archiveLpath}), then ask an administrator to replay job ${jobId}.`,
  );
}
