import { detectSourceFormat, listZip } from '../../archive/index.js';
import { IrodsError, isNotFound } from '../../irods/errors.js';
import { canQuery, listReplicas, splitLpath } from '../../irods/index.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepFailure, StepNotReady } from '../step-errors.js';
import { asStepFailure } from './archive-failure.js';
import { readableArchiveReplica } from './archive-replica.js';
import { preflightExpansion } from './expansion-preflight.js';
import { checkTarget, targetCollectionFor } from './target-collection.js';

/** How long inspect keeps waiting for an upload to settle before giving up. */
const MAX_WAIT_MS = 24 * 3600 * 1000;

/**
 * Decides whether an archive can be expanded now: it exists, its upload has settled (same size
 * and modify time for `stableSeconds`, a good replica and no replica being written), its bytes
 * (read from a good replica) are a zip, tar or tar.gz whose entries pass every limit and fit
 * iRODS's path limits and logical quotas (expansion-preflight.ts), and the target collection is
 * free (or this job's own earlier partial result).
 */
export async function inspect(ctx: StepContext): Promise<StepResult> {
  const lpath = ctx.archive.logical_path;
  if (!canQuery(lpath)) {
    throw new StepFailure('unsupported_path', `The archive path contains a single quote, which the agent cannot query in iRODS: ${lpath}`);
  }
  const stat = await statReadable(ctx, lpath);
  await waitUntilSettled(ctx, { size: stat.size, checksum: stat.checksum, modifiedAt: new Date(stat.modifiedAt * 1000) });

  const replica = await readableArchiveReplica(ctx, lpath);
  const source = await ctx.irods.dataObjects.openRanged(lpath, { size: stat.size, replicaNumber: replica.number });
  const target = targetCollectionFor(lpath, ctx.config.watch.archiveSuffixes);
  const detail: Record<string, unknown> = { size: stat.size, replica: { number: replica.number, resource: replica.resource } };
  try {
    const format = await detectSourceFormat(source, splitLpath(lpath).name, ctx.signal);
    detail.format = format;
    if (format === 'zip') {
      const listing = await listZip(source, ctx.config.limits, ctx.signal);
      Object.assign(detail, {
        entries: listing.entryCount,
        files: listing.fileCount,
        declared_bytes: listing.totalDeclaredBytes,
        has_transfer_xml: listing.hasTransferXml,
      });
      await ctx.progress({ entriesTotal: listing.fileCount, bytesTotal: listing.totalDeclaredBytes, entriesDone: 0, bytesDone: 0 });
    } else {
      await ctx.progress({ bytesTotal: stat.size, bytesDone: 0, entriesDone: 0 });
    }
    detail.expansion = await preflightExpansion(ctx, source, format, target);
    const checksum = stat.checksum ?? (await archiveChecksum(ctx, lpath));
    await ctx.updateArchiveFacts({ format, checksum, size: stat.size });
    detail.checksum = checksum ?? null;
  } catch (err) {
    throw asStepFailure(err);
  }

  detail.target = target;
  detail.target_state = await checkTarget(ctx, target);
  await ctx.setTarget(target);
  return { detail };
}

/**
 * Stats the archive and makes sure the agent's account can read it. A rodsadmin can stat a
 * user's data object but cannot open it without an ACL (admins use `ichmod -M`; the agent uses
 * the HTTP API's admin=1). The grant is made only when the agent's own account is absent from
 * the ACL, so it never lowers a permission, and it is in the audit trail. Installations that
 * prefer it can give the agent read on the watched collections with inheritance instead
 * (docs/operations.md); then nothing is granted here.
 */
async function statReadable(ctx: StepContext, lpath: string) {
  const stat = await statArchive(ctx, lpath);
  const agent = ctx.irods.username;
  if (stat.permissions.some((p) => p.name === agent)) return stat;
  await ctx.irods.dataObjects.modifyPermissions(lpath, [{ entityName: agent, acl: 'read' }], { admin: true });
  await ctx.audit('modify_permissions', lpath, { entity: agent, acl: 'read', why: 'the agent reads the archive to expand it' });
  return stat;
}

export async function statArchive(ctx: StepContext, lpath: string) {
  try {
    return await ctx.irods.dataObjects.stat(lpath);
  } catch (err) {
    if (isNotFound(err)) throw new StepFailure('archive_missing', `The archive ${lpath} no longer exists in iRODS.`);
    // No good replica yet: an upload still in progress.
    if (err instanceof IrodsError && err.codeName === 'SYS_NO_GOOD_REPLICA') {
      throw new StepNotReady('no good replica yet', Math.max(1_000, ctx.config.workers.stableSeconds * 1000));
    }
    throw err;
  }
}

async function waitUntilSettled(ctx: StepContext, now: { size: number; checksum: string | undefined; modifiedAt: Date }): Promise<void> {
  const recorded = ctx.archive;
  const statuses = (await listReplicas(ctx.irods.query, recorded.logical_path, ctx.signal)).map((r) => r.status);
  const good = statuses.includes('good');
  const writing = statuses.some((s) => s === 'intermediate' || s === 'write_locked');
  const changed =
    recorded.size !== now.size ||
    (recorded.modified_at !== null && recorded.modified_at.getTime() !== now.modifiedAt.getTime()) ||
    (recorded.checksum !== null && now.checksum !== undefined && recorded.checksum !== now.checksum);
  const quietFor = Date.now() - recorded.updated_at.getTime();
  const stable = !changed && quietFor >= ctx.config.workers.stableSeconds * 1000;
  if (stable && good && !writing) {
    if (recorded.modified_at === null) await ctx.updateArchiveFacts({ modifiedAt: now.modifiedAt });
    return;
  }
  if (Date.now() - ctx.job.created_at.getTime() > MAX_WAIT_MS) {
    throw new StepFailure('upload_never_settled', `The archive was still being written (or has no good replica) after 24 hours; it was not expanded.`);
  }
  if (changed) await ctx.replaceArchiveVersion({ size: now.size, checksum: now.checksum, modifiedAt: now.modifiedAt });
  const why = writing ? 'a replica is still being written' : !good ? 'no good replica yet' : 'the upload is still changing';
  throw new StepNotReady(why, Math.max(1_000, ctx.config.workers.stableSeconds * 1000));
}

/**
 * The archive's own checksum, for the record. iRODS computes it server-side; on a very large
 * archive that can outlast the HTTP API's request timeout, which is not a reason to fail.
 */
async function archiveChecksum(ctx: StepContext, lpath: string): Promise<string | undefined> {
  try {
    return await ctx.irods.dataObjects.calculateChecksum(lpath);
  } catch (err) {
    if (err instanceof IrodsError && err.retryable) {
      ctx.log.warn({ err }, 'archive checksum not computed');
      await ctx.flag([], [`The archive's own checksum could not be computed by iRODS (${err.message}).`]);
      return undefined;
    }
    throw err;
  }
}
