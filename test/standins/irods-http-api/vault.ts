import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** How a write opens the replica's file (dstream's open flags, see operations/data-objects.ts). */
export type OpenMode = 'truncate' | 'keep' | 'append';

const FLAGS: Record<OpenMode, string> = { truncate: 'w', keep: 'r+', append: 'a' };

/**
 * The bytes of data objects: one file per data object in a local directory, named by the data
 * object's id so that catalog renames never move files (a real unixfilesystem resource mirrors
 * the logical path instead; nothing a client sees depends on it).
 *
 * Each write is one open, its writes and one close through libuv's thread pool: concurrent
 * requests then create files in parallel, which on a journalling filesystem is several times
 * faster (and cheaper in CPU) than the same calls made synchronously on the event loop.
 */
export class Vault {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  pathFor(dataId: number): string {
    return join(this.dir, String(dataId));
  }

  /** Opens as the replica open does (creating or truncating for 'truncate'), writing nothing. */
  async touch(path: string, mode: OpenMode): Promise<void> {
    await (await open(path, FLAGS[mode])).close();
  }

  /**
   * Writes `data` at `offset` (ignored when appending). Returns the file size afterwards: known
   * without a stat after truncation, read from the file otherwise.
   */
  async write(path: string, mode: OpenMode, offset: number, data: Buffer): Promise<number> {
    const handle = await open(path, FLAGS[mode]);
    try {
      await writeAll(handle, data, mode === 'append' ? null : offset);
      if (mode === 'truncate') return data.length > 0 ? offset + data.length : 0;
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes a request body into the file from `offset` as it arrives (the header-style write
   * forwards the body this way, never holding it whole; the source pauses while a chunk is
   * written). Fails with TooManyBytes once more than `maxBytes` arrived, leaving the rest unread.
   * Returns the file size afterwards.
   */
  async writeStream(path: string, mode: OpenMode, offset: number, source: Readable, maxBytes: number): Promise<number> {
    const handle = await open(path, FLAGS[mode]);
    try {
      let position: number | null = mode === 'append' ? null : offset;
      let total = 0;
      for await (const chunk of source) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        total += buffer.length;
        if (total > maxBytes) throw new TooManyBytes();
        await writeAll(handle, buffer, position);
        if (position !== null) position += buffer.length;
      }
      if (mode === 'truncate') return total > 0 ? offset + total : 0;
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  }

  /** Bytes [start, start + length) as a stream (length > 0). */
  readStream(path: string, start: number, length: number): Readable {
    return createReadStream(path, { start, end: start + length - 1, highWaterMark: 1 << 20 });
  }

  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? buffer : buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async size(path: string): Promise<number> {
    return (await stat(path)).size;
  }

  async truncate(path: string, length: number): Promise<void> {
    await truncate(path, length);
  }

  async copy(from: string, to: string): Promise<void> {
    await copyFile(from, to);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  /** iRODS's default scheme: `sha2:` + base64 of the SHA-256 digest. */
  async checksum(path: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash);
    return `sha2:${hash.digest('base64')}`;
  }
}

/** More bytes arrived than the caller allowed. */
export class TooManyBytes extends Error {
  constructor() {
    super('too many bytes');
    this.name = 'TooManyBytes';
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number | null): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position === null ? null : position + written);
    written += bytesWritten;
  }
}
