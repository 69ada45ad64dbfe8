import type { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Extract } from 'tar-stream';
import { ArchiveRejected } from './archive-rejected.js';
import {
  ArchiveUsageError,
  DEFAULT_RATIO_GRACE_BYTES,
  type ArchiveEntry,
  type ArchiveLimits,
  type TarArchiveReader,
} from './archive-types.js';
import { ByteBudget } from './entry-guard.js';
import { EntryNamespace } from './entry-namespace.js';
import { INFLATE_CHUNK_BYTES } from './inflate-chunk.js';
import type { RandomAccessSource } from './random-access-source.js';
import { emptyFile, tooLargeEntry, tooLargeInTotal, tooManyEntries } from './rejections.js';
import { asError, isAbortError } from './stream-chain.js';
import { describeEntry, hasData } from './tar-entry-header.js';
import { dataDrained, TarSlot, type TarSource } from './tar-entry-slot.js';
import { gzipError, TarMeter } from './tar-meter.js';

const BLOCK = 512;

interface TarContext {
  readonly source: RandomAccessSource;
  readonly gzipped: boolean;
  readonly limits: ArchiveLimits;
  readonly signal: AbortSignal | undefined;
}

/**
 * Opens a tar (or tar.gz) for one sequential pass over `source.createReadStream(0, size)`.
 * Every check happens as the headers go by: an entry is refused when it is reached, so entries
 * before it may already have been handed out (unlike zip, a tar cannot be checked up front
 * without reading it whole). The archive must end with tar's end-of-archive marker.
 */
export function openTarArchive(
  source: RandomAccessSource,
  gzipped: boolean,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<TarArchiveReader> {
  if (source.size === 0) return Promise.reject(emptyFile());
  const ctx: TarContext = { source, gzipped, limits, signal };
  const state: { iterated: boolean; closed: boolean; pass: TarPass | undefined } = {
    iterated: false,
    closed: false,
    pass: undefined,
  };

  const iterate = async function* (): AsyncGenerator<ArchiveEntry> {
    if (state.closed) throw new ArchiveUsageError('the tar archive reader is closed');
    if (state.iterated) throw new ArchiveUsageError('a tar archive can be iterated only once');
    state.iterated = true;
    const pass = new TarPass(ctx);
    state.pass = pass;
    try {
      yield* pass.entries();
    } finally {
      pass.destroy();
    }
  };

  return Promise.resolve({
    format: gzipped ? 'tar.gz' : 'tar',
    access: 'sequential',
    [Symbol.asyncIterator]: () => iterate(),
    close(): Promise<void> {
      state.closed = true;
      state.pass?.destroy();
      return Promise.resolve();
    },
  });
}

/**
 * One pass: source → [gunzip] → meter → tar-stream's extractor, whose async iterator hands out
 * the entries one at a time. A failure anywhere upstream destroys the extractor with it, and the
 * iterator reports it.
 */
class TarPass {
  private readonly raw: Readable;
  private readonly gunzip: Transform | undefined;
  private readonly meter: TarMeter;
  private readonly extract: Extract;
  private readonly sourceErrors = new WeakSet<object>();
  private failure: unknown;
  private entriesSeen = 0;

  constructor(private readonly ctx: TarContext) {
    // Names as raw bytes (latin1 is byte-for-byte) so that invalid UTF-8 is detected, not replaced.
    // Unknown formats allowed: v7 tars have no magic; the header checksum is still verified.
    // (Both options exist in tar-stream 3 but not in its typings.)
    this.extract = tarExtract({ filenameEncoding: 'latin1', allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
    this.raw = ctx.source.createReadStream(0, ctx.source.size, ctx.signal);
    this.gunzip = ctx.gzipped ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
    this.meter = new TarMeter({
      gzipped: ctx.gzipped,
      maxCompressionRatio: ctx.limits.maxCompressionRatio,
      graceBytes: ctx.limits.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES,
    });

    this.raw.on('error', (err: unknown) => {
      if (typeof err === 'object' && err !== null) this.sourceErrors.add(err);
      this.fail(asError(err));
    });
    this.raw.on('data', (chunk: Buffer) => {
      this.meter.compressedBytes += chunk.length;
    });
    this.gunzip?.on('error', (err: unknown) => this.fail(gzipError(err)));
    this.meter.on('error', (err: unknown) => this.fail(asError(err)));
    // The iterator reports a failure only at its next step, after the entry it may already hold.
    this.extract.on('error', (err: unknown) => {
      this.failure ??= err;
    });

    const upstream = this.gunzip ? this.raw.pipe(this.gunzip) : this.raw;
    upstream.pipe(this.meter).pipe(this.extract);
  }

  async *entries(): AsyncGenerator<ArchiveEntry> {
    const { limits } = this.ctx;
    const namespace = new EntryNamespace();
    const budget = new ByteBudget(limits.maxTotalBytes);
    let declaredTotal = 0;
    let dataEnd = 0;

    try {
      for await (const source of this.extract) {
        this.ctx.signal?.throwIfAborted();
        if (this.failure !== undefined) throw this.translate(this.failure);
        this.entriesSeen++;
        const { header } = source;
        dataEnd = byteOffsetOf(header) + (hasData(header) ? roundUp(header.size) : 0);
        if (this.entriesSeen > limits.maxEntries) throw tooManyEntries(limits.maxEntries);

        // Listen for the end of the entry's data now: a consumer may read it all before we look.
        const drained = dataDrained(source, () => this.whyGone());
        const entry = describeEntry(header);
        if (entry === undefined) {
          // The archive's own root (`./`): nothing to create.
          await settle(source, drained, false);
          continue;
        }
        namespace.add(entry.path, entry.kind);
        if (entry.size > limits.maxEntryBytes) throw tooLargeEntry(entry.path, entry.size, limits.maxEntryBytes);
        declaredTotal += entry.size;
        if (declaredTotal > limits.maxTotalBytes) throw tooLargeInTotal(limits.maxTotalBytes, entry.path);

        const slot = new TarSlot({
          source,
          entry,
          index: this.entriesSeen - 1,
          maxEntryBytes: limits.maxEntryBytes,
          budget,
          translate: (err) => this.translate(err),
          whyGone: () => this.whyGone(),
        });
        yield slot.toEntry();
        slot.retire();
        await settle(source, drained, slot.opened);
      }
    } catch (err) {
      throw this.translate(err);
    }

    this.ctx.signal?.throwIfAborted();
    if (this.meter.tarBytes < dataEnd + BLOCK) {
      throw new ArchiveRejected(
        'truncated',
        "The archive was refused: it ends without tar's end-of-archive marker; it was probably cut short during upload. Upload it again.",
      );
    }
  }

  destroy(): void {
    // With a reason, so that a consumer still waiting on the iterator or on an entry learns why.
    if (!this.extract.destroyed) this.extract.destroy(new ArchiveUsageError('the tar archive reader was closed'));
    this.meter.destroy();
    this.gunzip?.destroy();
    this.raw.destroy();
  }

  private whyGone(): Error {
    return this.failure === undefined ? new ArchiveUsageError('the tar archive reader was closed') : this.translate(this.failure);
  }

  private fail(err: Error): void {
    if (!this.extract.destroyed) this.extract.destroy(err);
  }

  /** tar-stream's plain errors → ArchiveRejected; our own, aborts and the source's pass through. */
  private translate(err: unknown): Error {
    if (err instanceof ArchiveRejected || err instanceof ArchiveUsageError || isAbortError(err)) return asError(err);
    if (typeof err === 'object' && err !== null && this.sourceErrors.has(err)) return asError(err);
    const message = asError(err).message;
    if (message.includes('Unexpected end of data')) {
      return new ArchiveRejected(
        'truncated',
        'The archive was refused: it ends in the middle of an entry; it was probably cut short during upload. Upload it again.',
        undefined,
        { cause: err },
      );
    }
    if (message.includes('Invalid tar header') && this.entriesSeen === 0) {
      return new ArchiveRejected('not_an_archive', 'The archive was refused: its content is not a tar archive.', undefined, {
        cause: err,
      });
    }
    return new ArchiveRejected('corrupt', `The archive was refused: its tar structure is damaged (${message}).`, undefined, {
      cause: err,
    });
  }
}

/**
 * Waits until the entry's data has left the tar stream (read by the consumer, or skipped when it
 * was not opened); the iterator's next step then lets tar-stream parse the next header.
 */
async function settle(source: TarSource, drained: Promise<void>, opened: boolean): Promise<void> {
  if (!opened && hasData(source.header)) {
    source.on('data', () => undefined);
    source.resume();
  }
  await drained;
}

function byteOffsetOf(header: TarSource['header']): number {
  // tar-stream records where the entry's data starts in the (decompressed) tar stream.
  const offset: unknown = Reflect.get(header, 'byteOffset');
  return typeof offset === 'number' ? offset : 0;
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
