import type { Readable } from 'node:stream';
import { chunkLength, type ByteChunk } from './byte-chunk.js';

/**
 * Cuts a byte stream into chunks of exactly `size` bytes (the last one shorter), holding at
 * most one chunk plus one incoming buffer. Nothing is copied: a chunk made of parts of several
 * incoming buffers comes out as the list of those parts (see ByteChunk).
 */
type Piece = Buffer | Uint8Array | string;

export async function* rechunk(source: Readable | AsyncIterable<Piece> | Iterable<Piece>, size: number): AsyncGenerator<ByteChunk> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source as AsyncIterable<Piece> | Iterable<Piece>) {
    let buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (buf.length > 0) {
      if (pendingBytes === 0 && buf.length >= size) {
        yield buf.subarray(0, size);
        buf = buf.subarray(size);
        continue;
      }
      const take = Math.min(size - pendingBytes, buf.length);
      pending.push(buf.subarray(0, take));
      pendingBytes += take;
      buf = buf.subarray(take);
      if (pendingBytes === size) {
        yield pending.length === 1 ? (pending[0] as Buffer) : pending;
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield pending.length === 1 ? (pending[0] as Buffer) : pending;
}

export interface SequentialWriteOptions {
  /** Where the first chunk goes; the object already holds the bytes before it. */
  readonly startOffset: number;
  readonly signal?: AbortSignal | undefined;
  /** Bytes this call has written so far (a contiguous prefix). */
  readonly onProgress?: ((bytesWritten: number) => void) | undefined;
}

/**
 * Writes chunks one after the other at increasing offsets. Only a write starting at offset 0
 * truncates (and thereby creates) the object; later chunks say truncate=0 explicitly, because
 * the API's default is to truncate. An empty source starting at 0 still sends one empty
 * truncating write, so the object exists and is empty afterwards.
 */
export async function writeSequential(
  write: (data: ByteChunk, offset: number, truncate: boolean) => Promise<void>,
  chunks: AsyncIterable<ByteChunk>,
  options: SequentialWriteOptions,
): Promise<number> {
  let written = 0;
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    const offset = options.startOffset + written;
    await write(chunk, offset, offset === 0);
    written += chunkLength(chunk);
    options.onProgress?.(written);
  }
  if (written === 0 && options.startOffset === 0) await write(Buffer.alloc(0), 0, true);
  return written;
}
