import { tmpdir } from 'node:os';
import type { OmeroServer } from '../../../config/index.js';
import { mountedPath, stageFolder, type OmeroCliError, type OmeroSession, type StagedFolder, type UnpackRun, type ZoneMount } from '../../../omero/index.js';
import type { StepContext } from '../../step-context.js';
import { StepCancelled, StepFailure } from '../../step-errors.js';
import type { ExpandedTree } from './expanded-tree.js';

/** Where OMERO sees the expanded collection through the mount; refused before anything is sent to OMERO when it cannot. */
export function folderOnMount(root: string, mount: ZoneMount): string {
  const folder = mountedPath(root, mount);
  if (folder === undefined) {
    throw new StepFailure(
      'omero_not_mounted',
      `${root} is not under ${mount.collection}, the collection OMERO sees at ${mount.directory} (OMERO_IRODS_MOUNT_COLLECTION, NFSRODS's irods_mount_point), so OMERO cannot read it there. Nothing was registered.`,
    );
  }
  return folder;
}

/** Upload mode without a mount: the CLI uploads from local files, so the tree is copied out of iRODS first. */
export async function stage(ctx: StepContext, root: string, tree: ExpandedTree, dir: string | undefined, maxBytes: number): Promise<StagedFolder> {
  return stageFolder({
    parentDir: dir ?? tmpdir(),
    maxBytes,
    files: [...tree.files.entries()].map(([path, size]) => ({ path, size })),
    directories: [...tree.directories],
    open: (path, signal) => ctx.irods.dataObjects.readStream(`${root}/${path}`, { signal }),
    signal: ctx.signal,
  });
}

/** Runs unpack; an administrator's cancel (polled) stops it, like a worker shutdown does. */
export async function unpackWatchingCancel(
  ctx: StepContext,
  session: OmeroSession,
  folder: string,
  mode: OmeroServer['mode'],
  pollMs: number,
): Promise<{ run: UnpackRun; cancelled: boolean }> {
  const cfg = ctx.config.omero;
  const cancel = new AbortController();
  let cancelled = false;
  const poll = setInterval(() => {
    ctx.checkCancelled().catch((err: unknown) => {
      if (err instanceof StepCancelled) {
        cancelled = true;
        cancel.abort();
      }
    });
  }, pollMs);
  poll.unref();
  try {
    const run = await session.cli.unpack(folder, {
      lnS: mode === 'ln_s',
      merge: cfg.merge,
      skip: cfg.skip,
      timeoutMs: cfg.timeoutSeconds * 1000,
      signal: AbortSignal.any([ctx.signal, cancel.signal]),
    });
    return { run, cancelled: cancelled && run.failure !== undefined };
  } finally {
    clearInterval(poll);
  }
}

/** The CLI's own words, for the admin API (GET /v1/jobs/:id) and the log; never a password (it is never on its argv or output). */
export async function recordCliError(ctx: StepContext, err: OmeroCliError, log: StepContext['log']): Promise<void> {
  const cli = { attempt: ctx.attempt, command: err.details.command, code: err.code, exit_code: err.exitCode, stderr_tail: err.stderrTail };
  log.warn(cli, 'omero cli call failed');
  await recordDetail(ctx, { omero_cli_error: cli }).catch(() => undefined);
}

/** Merges into this run's step detail now (run-step only writes it when the step ends). */
export async function recordDetail(ctx: StepContext, detail: Record<string, unknown>): Promise<void> {
  await ctx.recordDetail(detail);
}
