import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type StagingErrorCode = 'too_large' | 'no_space' | 'unsafe_path';

/** The files cannot be staged: more than allowed, more than the disk holds, or a path leaving the folder. */
export class StagingError extends Error {
  override readonly name = 'StagingError';
  constructor(
    readonly code: StagingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface StagingInput {
  /** Where the temporary folder is made. */
  readonly parentDir: string;
  /** Refuse to stage more than this many bytes. */
  readonly maxBytes: number;
  /** Relative paths (as in the archive) and sizes. */
  readonly files: readonly { readonly path: string; readonly size: number }[];
  readonly directories: readonly string[];
  /** A stream of one file's bytes. */
  open(path: string, signal?: AbortSignal): Promise<Readable>;
  readonly signal?: AbortSignal | undefined;
}

export interface StagedFolder {
  readonly folder: string;
  readonly bytes: number;
  remove(): Promise<void>;
}

/** Free bytes are checked with this much to spare: other jobs and the CLI's own files need room too. */
const SPARE_BYTES = 256 * 1024 * 1024;

/**
 * Copies a tree into a fresh temporary folder, one file at a time, streamed with backpressure
 * (never held in memory), refusing up front what would not fit. The caller removes it.
 */
export async function stageFolder(input: StagingInput): Promise<StagedFolder> {
  const bytes = input.files.reduce((sum, f) => sum + f.size, 0);
  if (bytes > input.maxBytes) {
    throw new StagingError('too_large', `the archive holds ${bytes} bytes, more than the ${input.maxBytes} bytes OMERO_STAGING_MAX_BYTES allows to stage`);
  }
  await mkdir(input.parentDir, { recursive: true });
  const fs = await statfs(input.parentDir);
  const free = fs.bavail * fs.bsize;
  if (bytes + SPARE_BYTES > free) {
    throw new StagingError('no_space', `staging needs ${bytes} bytes but ${input.parentDir} has ${free} free`);
  }
  const folder = await mkdtemp(join(input.parentDir, 'ioa-omero-upload-'));
  const remove = () => rm(folder, { recursive: true, force: true });
  const inside = (path: string): string => {
    const target = resolve(folder, path);
    if (!target.startsWith(folder + sep)) throw new StagingError('unsafe_path', `refusing to stage ${path}: it leaves the staging folder`);
    return target;
  };
  try {
    for (const dir of input.directories) await mkdir(inside(dir), { recursive: true });
    for (const file of input.files) {
      input.signal?.throwIfAborted();
      const target = inside(file.path);
      await mkdir(dirname(target), { recursive: true });
      // 'wx': never write through something already there (the folder is new: nothing should be).
      await pipeline(await input.open(file.path, input.signal), createWriteStream(target, { flags: 'wx' }), { signal: input.signal });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { folder, bytes, remove };
}
