import { detectSourceFormat, openArchive, type ArchiveFormat } from '../../archive/index.js';
import { goodObjectsUnder, splitLpath, type ReplicaInfo } from '../../irods/index.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepCancelled, StepFailure } from '../step-errors.js';
import { asStepFailure } from './archive-failure.js';
import { readableArchiveReplica } from './archive-replica.js';
import { statArchive } from './inspect.js';
import { checkTarget, SOURCE_ARCHIVE, SOURCE_JOB, targetCollectionFor } from './target-collection.js';
import { checkTransferXml } from './transfer-check.js';
import { TreeWriter } from './tree-writer.js';

export interface ExpandOptions {
  /** Entries up to this size are buffered and written in one request (default 1 MiB). */
  readonly smallFileBytes?: number;
  /** Writes in flight (default 8). */
  readonly concurrency?: number;
  /** Big entries of a zip streamed at once (default 1; see TreeWriter). */
  readonly bigEntriesAtOnce?: number;
}

const CANCEL_CHECK_MS = 500;

/**
 * Expands the archive into its target collection, streaming: zip entries through ranged reads
 * (small ones several at once beside the big one), tar entries in one pass. Resumable: entries
 * recorded as written whose object is still there with the same size and checksum are skipped;
 * anything else is (re)written with truncate. Never writes outside the target, never into
 * someone else's target.
 */
export function expandStep(options: ExpandOptions = {}) {
  const smallFileBytes = options.smallFileBytes ?? 1024 * 1024;
  const concurrency = options.concurrency ?? 8;
  const bigEntriesAtOnce = options.bigEntriesAtOnce ?? 1;

  return async function expand(ctx: StepContext): Promise<StepResult> {
    const lpath = ctx.archive.logical_path;
    const target = ctx.job.target_path ?? targetCollectionFor(lpath, ctx.config.watch.archiveSuffixes);
    await claimTarget(ctx, target);

    const stat = await statArchive(ctx, lpath);
    if (ctx.archive.size !== null && stat.size !== ctx.archive.size) {
      throw new StepFailure('archive_changed', `The archive ${lpath} changed size since it was inspected; the new version gets its own job.`);
    }
    const replica = await readableArchiveReplica(ctx, lpath);
    if (replicaChanged(replica, ctx.archive)) {
      throw new StepFailure('archive_changed', `The archive ${lpath} was written again since it was inspected; the new version gets its own job.`);
    }

    const known = await ctx.recordedEntries();
    const existing = known.size ? await goodObjectsUnder(ctx.irods.query, target, ctx.signal) : new Map<string, { size: number; checksum: string | undefined }>();
    const writer = new TreeWriter(ctx, target, lpath, { smallFileBytes, concurrency, bigEntriesAtOnce, existing, known });
    const source = await ctx.irods.dataObjects.openRanged(lpath, { size: stat.size, replicaNumber: replica.number });

    let entryCount = 0;
    let format: ArchiveFormat | undefined;
    let lastCancelCheck = 0;
    try {
      format = (ctx.archive.format as ArchiveFormat | null) ?? (await detectSourceFormat(source, splitLpath(lpath).name, ctx.signal));
      const reader = await openArchive(source, format, ctx.config.limits, ctx.signal);
      try {
        for await (const entry of reader) {
          entryCount += 1;
          if (Date.now() - lastCancelCheck > CANCEL_CHECK_MS) {
            lastCancelCheck = Date.now();
            await ctx.checkCancelled();
          }
          writer.check();
          if (entry.kind === 'directory') {
            await writer.ensureCollection(entry.path);
          } else if (writer.isDone(entry)) {
            continue;
          } else if (reader.access === 'random') {
            await writer.submitEntry(entry);
          } else if (entry.size <= smallFileBytes) {
            await writer.submitSmall(entry);
          } else {
            // Sequential archive: the big entry is the current one and must be read now; small
            // writes already submitted go on meanwhile.
            await writer.writeStreamed(entry);
          }
        }
        await writer.drain();
      } finally {
        await reader.close();
      }
    } catch (err) {
      await writer.abandon();
      if (err instanceof StepCancelled) throw err;
      throw asStepFailure(err);
    }

    // The totals are known now (a tar's were not): the job reads as complete, over all its runs.
    const done = writer.done();
    await ctx.progress({ ...done, entriesTotal: done.entriesDone, bytesTotal: done.bytesDone });
    const transfer = await checkTransferXml(ctx, target, writer.writtenPaths, entryCount);
    if (transfer.flags.length) await ctx.flag(transfer.flags, transfer.warnings);
    return {
      detail: {
        target,
        format,
        replica: { number: replica.number, resource: replica.resource },
        entries: entryCount,
        files_written: writer.filesWritten,
        files_skipped: writer.filesSkipped,
        bytes_written: writer.bytesWritten,
        bytes_skipped: writer.bytesSkipped,
        flags: transfer.flags,
        missing: transfer.missing.slice(0, 100),
      },
    };
  };
}

/** Creates and marks the target, or confirms it is this job's own earlier partial result. */
async function claimTarget(ctx: StepContext, target: string): Promise<void> {
  const lpath = ctx.archive.logical_path;
  const state = await checkTarget(ctx, target);
  await ctx.setTarget(target);
  if (state === 'ours') return;
  await ensureAgentCanCreateIn(ctx, target.slice(0, target.lastIndexOf('/')));
  // Recorded before creating: a crash between create and mark still leaves it recognisably ours.
  await ctx.audit('create_collection', target, { role: 'target' });
  await ctx.irods.collections.create(target, { intermediates: false });
  await ctx.irods.collections.modifyMetadata(target, [
    { operation: 'add', attribute: SOURCE_JOB, value: ctx.job.id },
    { operation: 'add', attribute: SOURCE_ARCHIVE, value: lpath },
  ]);
}

/**
 * The target is created beside the archive, in a collection the uploader owns. A rodsadmin needs
 * write there like anyone else, so the agent grants its own account `write` on that collection
 * (admin=1) when the account is not in its ACL at all: never lowering a permission, recorded in
 * the audit trail. Installations may instead pre-grant it with inheritance (docs/operations.md).
 */
async function ensureAgentCanCreateIn(ctx: StepContext, parent: string): Promise<void> {
  const agent = ctx.irods.username;
  const stat = await ctx.irods.collections.stat(parent);
  if (stat.permissions.some((p) => p.name === agent)) return;
  await ctx.irods.collections.modifyPermissions(parent, [{ entityName: agent, acl: 'write' }], { admin: true });
  await ctx.audit('modify_permissions', parent, { entity: agent, acl: 'write', why: 'the agent creates the expanded collection here' });
}

/**
 * The good replica read now is not the version inspect settled on: another size, a later modify
 * time, or another checksum (iRODS clears a replica's checksum when it is written, and inspect
 * recorded the one it had or computed). Inspect records all three once the upload settled.
 */
function replicaChanged(replica: ReplicaInfo, inspected: { size: number | null; modified_at: Date | null; checksum: string | null }): boolean {
  if (inspected.size !== null && replica.size !== inspected.size) return true;
  if (inspected.modified_at !== null && replica.modifiedAt * 1000 > inspected.modified_at.getTime()) return true;
  return inspected.checksum !== null && replica.checksum !== inspected.checksum;
}
