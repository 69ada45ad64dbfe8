import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { RandomAccessSource } from './random-access-source.js';

/** A local file as a RandomAccessSource; `close()` releases its file handle. */
export interface FileSource extends RandomAccessSource {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Opens a local file for random access (tests, benches, tools). The size is taken once, at open:
 * a file that grows afterwards is read as it was.
 */
export async function fileSource(path: string): Promise<FileSource> {
  const handle: FileHandle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  let closed = false;

  return {
    path,
    size,
    async read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
      signal?.throwIfAborted();
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.allocUnsafe(want);
      let filled = 0;
      // pread may return short counts; loop until the range is full or the file ends.
      while (filled < want) {
        const { bytesRead } = await handle.read(buffer, filled, want - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      signal?.throwIfAborted();
      return filled === want ? buffer : buffer.subarray(0, filled);
    },
    createReadStream(offset: number, length: number, signal?: AbortSignal): Readable {
      if (length <= 0) return Readable.from([], { objectMode: false });
      // A stream of its own (own descriptor): concurrent streams never share a file position.
      return createReadStream(path, { start: offset, end: offset + length - 1, signal });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
