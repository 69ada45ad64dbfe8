import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import type { Entry as YauzlEntry, ZipFile } from 'yauzl-promise';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { ArchiveUsageError } from './archive-types.js';
import { EntryGuard, type ByteBudget } from './entry-guard.js';
import { INFLATE_CHUNK_BYTES } from './inflate-chunk.js';
import { asError, chainInto, isAbortError, type ChainStage } from './stream-chain.js';
import type { CheckedEntry } from './zip-central-entry.js';
import { corruptZip, passThrough, type ZipContext } from './zip-directory-reader.js';
import { ZIP_METHOD } from './zip-format.js';
import { readLocalHeader } from './zip-local-header.js';

/** What a zip reader tracks until close(): whether it is closed, and the entry streams still open. */
export interface ZipReaderState {
  closed: boolean;
  readonly streams: Set<Readable>;
}

/** What every entry stream of one pass over an open zip shares. */
export interface ZipPass {
  readonly ctx: ZipContext;
  readonly state: ZipReaderState;
  /** The archive-wide byte budget (maxTotalBytes) that every entry stream draws from. */
  readonly budget: ByteBudget;
  /** Where entry data may end: the start of the central directory. */
  readonly dataLimit: number;
  readonly zip: ZipFile;
}

export interface EntryStreamRequest {
  readonly pass: ZipPass;
  /** yauzl's record of the entry (macOS Archive Utility's zips are read through it). */
  readonly raw: YauzlEntry;
  readonly entry: CheckedEntry;
  /** The consumer's own signal, besides the reader's. */
  readonly signal: AbortSignal | undefined;
}

/**
 * The entry's content: its local header checked against the central directory, then its bytes
 * (inflated when deflated) through an EntryGuard that enforces sizes, CRC-32, ratio and budget.
 */
export async function openEntryStream({ pass, raw, entry, signal }: EntryStreamRequest): Promise<Readable> {
  const { ctx, state, budget, dataLimit, zip } = pass;
  if (state.closed) throw new ArchiveUsageError('the zip archive reader is closed');
  signal?.throwIfAborted();
  ctx.signal?.throwIfAborted();
  if (entry.kind === 'directory') return Readable.from([], { objectMode: false });

  let compressed: Readable;
  try {
    const local = await readLocalHeader((start, length) => ctx.reader.readRange(start, length), entry.record, dataLimit, entry.path);
    // Our own check of the local header found where the data starts, so the data is read from
    // there directly (a small entry usually from the block that held its header). Zips that may
    // come from macOS Archive Utility go through yauzl, which corrects their sizes as it reads.
    compressed = mayBeMacArchive(zip)
      ? await raw.openReadStream({ decompress: false, validateCrc32: false })
      : ctx.reader.stream(local.dataOffset, entry.compressedSize);
  } catch (err) {
    if (passThrough(ctx, err)) throw err;
    throw corruptZip(err, entry.path);
  }

  const stages: ChainStage[] = [{ stream: compressed, mapError: asError }];
  if (entry.record.method === ZIP_METHOD.deflated) {
    stages.push({ stream: createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }), mapError: (err: unknown) => undecodable(err, entry.path) });
  }
  const guard = new EntryGuard({
    entry: entry.path,
    index: entry.index,
    declaredSize: entry.size,
    sizeIsCertain: entry.sizeIsCertain,
    maxEntryBytes: ctx.limits.maxEntryBytes,
    budget,
    ratio: { compressedSize: entry.compressedSize, maxRatio: ctx.limits.maxCompressionRatio, graceBytes: ctx.graceBytes },
    expectedCrc32: entry.crc32,
  });
  const out = chainInto(stages, guard);
  state.streams.add(out);
  out.once('close', () => state.streams.delete(out));
  if (signal) {
    const onAbort = (): void => {
      out.destroy(asError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return out;
}

/** yauzl-promise's documented `isMacArchive` / `isMaybeMacArchive` (not in the typings). */
function mayBeMacArchive(zip: ZipFile): boolean {
  return Reflect.get(zip, 'isMacArchive') !== false || Reflect.get(zip, 'isMaybeMacArchive') !== false;
}

function undecodable(err: unknown, entry: string): Error {
  if (err instanceof ArchiveRejected || isAbortError(err)) return asError(err);
  return new ArchiveRejected(
    'corrupt',
    `The archive was refused: entry ${quoteEntry(entry)} is damaged (its compressed data cannot be decoded).`,
    entry,
    { cause: err },
  );
}
