import type { Readable } from 'node:stream';

/**
 * Random access to the bytes of one archive. The archive readers know nothing of where the bytes
 * live: the iRODS client's `RangedReader` (src/irods/types.ts) satisfies this shape structurally,
 * `fileSource` (file-source.ts) reads a local file and `bufferSource` holds bytes in memory.
 *
 * Zip needs random access (its central directory is at the end); tar only ever asks for one
 * stream over the whole object.
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the source). */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** A stream of `length` bytes from `offset`, fetched as the consumer reads (backpressure). */
  createReadStream(offset: number, length: number, signal?: AbortSignal): Readable;
}
