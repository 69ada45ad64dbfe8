import { Readable } from 'node:stream';
import type { RandomAccessSource } from './random-access-source.js';

/** Bytes already in memory as a RandomAccessSource (small archives in tests and tools). */
export function bufferSource(bytes: Buffer): RandomAccessSource {
  const slice = (offset: number, length: number): Buffer =>
    bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
  return {
    size: bytes.length,
    read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      return Promise.resolve(Buffer.from(slice(offset, length)));
    },
    createReadStream(offset: number, length: number, signal?: AbortSignal): Readable {
      const data = slice(offset, length);
      const chunks: Buffer[] = [];
      for (let at = 0; at < data.length; at += 64 * 1024) chunks.push(data.subarray(at, at + 64 * 1024));
      return Readable.from(chunks, { objectMode: false, signal });
    },
  };
}
