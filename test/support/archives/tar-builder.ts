import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { tempArchivePath } from './temp-files.js';

/** A normal tar entry, written by tar-stream's pack (ustar, PAX for long or non-ASCII names). */
export interface TarEntrySpec {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly directory?: boolean;
  readonly mode?: number;
  readonly mtime?: Date;
}

export interface TarBuildOptions {
  readonly path?: string;
  /** Prefix every name with `./` and add a `./` root entry, as `omero transfer pack` does. */
  readonly dotSlash?: boolean;
}

const FIXED_TIME = new Date('2024-01-02T03:04:06Z');

function packed(entries: readonly TarEntrySpec[], options: TarBuildOptions): Readable {
  const tar = pack();
  const prefix = options.dotSlash ? './' : '';
  if (options.dotSlash) tar.entry({ name: './', type: 'directory', mtime: FIXED_TIME });
  for (const entry of entries) {
    const mtime = entry.mtime ?? FIXED_TIME;
    if (entry.directory === true || entry.name.endsWith('/')) {
      tar.entry({ name: prefix + entry.name.replace(/\/$/, ''), type: 'directory', mtime, mode: entry.mode ?? 0o755 });
      continue;
    }
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    tar.entry({ name: prefix + entry.name, mtime, mode: entry.mode ?? 0o644 }, data);
  }
  tar.finalize();
  // tar-stream's pack is a streamx Readable; Readable.from gives Node's pipeline a Node stream.
  return Readable.from(tar, { objectMode: false });
}

/** Writes a tar with tar-stream and returns its path. */
export async function buildTar(entries: readonly TarEntrySpec[], options: TarBuildOptions = {}): Promise<string> {
  const path = options.path ?? (await tempArchivePath('.tar'));
  await pipeline(packed(entries, options), createWriteStream(path));
  return path;
}

/** Writes a gzip-compressed tar and returns its path. */
export async function buildTarGz(entries: readonly TarEntrySpec[], options: TarBuildOptions = {}): Promise<string> {
  const path = options.path ?? (await tempArchivePath('.tar.gz'));
  await pipeline(packed(entries, options), createGzip(), createWriteStream(path));
  return path;
}
