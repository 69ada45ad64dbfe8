import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { tempArchivePath } from './temp-files.js';

/** A normal zip entry, written by yazl (the yauzl author's writer): an independent implementation. */
export interface ZipEntrySpec {
  /** Relative path; a folder ends with `/` or sets `directory`. */
  readonly name: string;
  readonly data?: Buffer | string;
  readonly directory?: boolean;
  /** Deflate (default true) or store. */
  readonly compress?: boolean;
  readonly mode?: number;
  readonly mtime?: Date;
}

export interface BuildOptions {
  /** Where to write; default a fresh scratch path. */
  readonly path?: string;
  /** yazl's forceZip64Format: zip64 headers even when not needed. */
  readonly forceZip64?: boolean;
}

const FIXED_TIME = new Date('2024-01-02T03:04:06Z');

/** Writes a well-formed zip with yazl and returns its path. */
export async function buildZip(entries: readonly ZipEntrySpec[], options: BuildOptions = {}): Promise<string> {
  const path = options.path ?? (await tempArchivePath('.zip'));
  const zip = new ZipFile();
  for (const entry of entries) {
    const mtime = entry.mtime ?? FIXED_TIME;
    if (entry.directory === true || entry.name.endsWith('/')) {
      zip.addEmptyDirectory(entry.name.replace(/\/$/, ''), { mtime, ...(entry.mode ? { mode: entry.mode } : {}) });
      continue;
    }
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    zip.addBuffer(data, entry.name, {
      mtime,
      compress: entry.compress ?? true,
      forceZip64Format: options.forceZip64 ?? false,
      ...(entry.mode ? { mode: entry.mode } : {}),
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
  return path;
}
