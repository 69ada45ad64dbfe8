import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import {
  ArchiveUsageError,
  DEFAULT_RATIO_GRACE_BYTES,
  type ArchiveEntry,
  type ArchiveLimits,
  type TarArchiveReader,
} from './archive-types.js';
import { ByteBudget, EntryGuard, ratioRejection } from './entry-guard.js';
import { decodeUtf8Lossy, decodeUtf8Strict } from './entry-name-encoding.js';
import { EntryNamespace } from './entry-namespace.js';
import { checkEntryPath } from './path-safety.js';
import type { RandomAccessSource } from './random-access-source.js';
import {
  emptyFile,
  invalidUtf8,
  tooLargeEntry,
  tooLargeInTotal,
  tooManyEntries,
  unsafePath,
  unsupportedType,
} from './rejections.js';
import { asError, isAbortError } from './stream-chain.js';

// zlib's default output chunk is 16 KiB; 64 KiB chunks quarter the per-chunk cost (guard, CRC,
// consumer writes) at a bounded memory price.
const INFLATE_CHUNK_BYTES = 64 * 1024;

const BLOCK = 512;

/** tar-stream's entry stream (a streamx Readable), as much of it as we use. */
type TarSource = Extract extends AsyncIterable<infer S> ? S : never;

interface TarItem {
  readonly header: Header;
  readonly stream: TarSource;
  readonly next: (err?: Error | null) => void;
}

interface TarContext {
  readonly source: RandomAccessSource;
  readonly gzipped: boolean;
  readonly limits: ArchiveLimits;
  readonly graceBytes: number;
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
  const ctx: TarContext = {
    source,
    gzipped,
    limits,
    graceBytes: limits.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES,
    signal,
  };
  const state: { iterated: boolean; closed: boolean; stream: TarStream | undefined } = {
    iterated: false,
    closed: false,
    stream: undefined,
  };

  const iterate = async function* (): AsyncGenerator<ArchiveEntry> {
    if (state.closed) throw new ArchiveUsageError('the tar archive reader is closed');
    if (state.iterated) throw new ArchiveUsageError('a tar archive can be iterated only once');
    state.iterated = true;
    const stream = new TarStream(ctx);
    state.stream = stream;
    try {
      yield* stream.entries();
    } finally {
      stream.destroy();
    }
  };

  return Promise.resolve({
    format: gzipped ? 'tar.gz' : 'tar',
    access: 'sequential',
    [Symbol.asyncIterator]: () => iterate(),
    close(): Promise<void> {
      state.closed = true;
      state.stream?.destroy();
      return Promise.resolve();
    },
  });
}

/** One pass: source → [gunzip] → meter → tar-stream, with entries handed out one at a time. */
class TarStream {
  private readonly raw: Readable;
  private readonly gunzip: Transform | undefined;
  private readonly meter: TarMeter;
  private readonly extract: Extract;
  private readonly sourceErrors = new WeakSet<object>();
  private pending: TarItem | undefined;
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private entriesSeen = 0;

  constructor(private readonly ctx: TarContext) {
    // Names as raw bytes (latin1 is byte-for-byte) so that invalid UTF-8 is detected, not replaced.
    // Unknown formats allowed: v7 tars have no magic; the header checksum is still verified.
    // (Both options exist in tar-stream 3 but not in its typings.)
    this.extract = tarExtract({ filenameEncoding: 'latin1', allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
    this.raw = ctx.source.createReadStream(0, ctx.source.size, ctx.signal);
    this.gunzip = ctx.gzipped ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
    this.meter = new TarMeter(ctx);

    this.raw.on('error', (err: unknown) => {
      if (typeof err === 'object' && err !== null) this.sourceErrors.add(err);
      this.fail(asError(err));
    });
    this.raw.on('data', (chunk: Buffer) => {
      this.meter.compressedBytes += chunk.length;
    });
    this.gunzip?.on('error', (err: unknown) => this.fail(gzipError(err)));
    this.meter.on('error', (err: unknown) => this.fail(asError(err)));
    this.extract.on('entry', (header: Header, stream: TarSource, next: (err?: Error | null) => void) => {
      // Errors reach us through the extractor; this listener only keeps the emitter quiet.
      stream.on('error', () => undefined);
      this.pending = { header, stream, next };
      this.notify();
    });
    this.extract.on('finish', () => {
      this.finished = true;
      this.notify();
    });
    this.extract.on('error', (err: unknown) => {
      this.failure ??= this.translate(err);
      this.notify();
    });
    this.extract.on('close', () => {
      this.finished = true;
      this.notify();
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

    for (;;) {
      const item = await this.nextItem();
      if (item === undefined) break;
      this.entriesSeen++;
      const { header } = item;
      const carriesData = header.type !== 'directory' && header.size > 0;
      dataEnd = byteOffsetOf(header) + (carriesData ? roundUp(header.size) : 0);
      if (this.entriesSeen > limits.maxEntries) throw tooManyEntries(limits.maxEntries);

      // Listen for the end of the entry's data now: a consumer may read it all before we look.
      const drained = dataDrained(item);
      const entry = describeEntry(header);
      if (entry === undefined) {
        // The archive's own root (`./`): nothing to create.
        await this.settle(item, drained, false);
        continue;
      }
      namespace.add(entry.path, entry.kind);
      if (entry.size > limits.maxEntryBytes) throw tooLargeEntry(entry.path, entry.size, limits.maxEntryBytes);
      declaredTotal += entry.size;
      if (declaredTotal > limits.maxTotalBytes) throw tooLargeInTotal(limits.maxTotalBytes, entry.path);

      const slot = new TarSlot(item, entry, this.entriesSeen - 1, limits.maxEntryBytes, budget, (err) => this.translate(err));
      yield slot.toEntry();
      slot.retire();
      await this.settle(item, drained, slot.opened);
    }

    const tarBytes = this.meter.tarBytes;
    if (tarBytes < dataEnd + BLOCK) {
      throw new ArchiveRejected(
        'truncated',
        "The archive was refused: it ends without tar's end-of-archive marker; it was probably cut short during upload. Upload it again.",
      );
    }
  }

  destroy(): void {
    this.failure ??= new ArchiveUsageError('the tar archive reader was closed');
    this.notify();
    if (!this.extract.destroyed) this.extract.destroy();
    this.meter.destroy();
    this.gunzip?.destroy();
    this.raw.destroy();
  }

  /**
   * Waits until the entry's data has left the tar stream (read by the consumer, or skipped when
   * it was not opened), then lets tar-stream parse the next header.
   */
  private async settle(item: TarItem, drained: Promise<void>, opened: boolean): Promise<void> {
    if (!opened && hasData(item.header)) {
      item.stream.on('data', () => undefined);
      item.stream.resume();
    }
    try {
      await drained;
    } catch (err) {
      throw this.failure ?? this.translate(err);
    }
    item.next();
  }

  private async nextItem(): Promise<TarItem | undefined> {
    for (;;) {
      this.ctx.signal?.throwIfAborted();
      if (this.failure) throw this.failure;
      const item = this.pending;
      if (item) {
        this.pending = undefined;
        return item;
      }
      if (this.finished) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(err: Error): void {
    if (!this.extract.destroyed) this.extract.destroy(err);
    this.failure ??= this.translate(err);
    this.notify();
  }

  /** tar-stream's plain errors → ArchiveRejected; our own, aborts and the source's pass through. */
  translate(err: unknown): Error {
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

interface DescribedEntry {
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size: number;
  readonly mtime: Date | undefined;
}

/** Checks one header; undefined for the archive's root. Throws ArchiveRejected. */
function describeEntry(header: Header): DescribedEntry | undefined {
  const name = decodeName(header);
  const checked = checkEntryPath(name);
  if (!checked.ok) throw unsafePath(name, checked.problem);

  // tar-stream's typings list the types it knows; an unknown type flag (GNU sparse 'S',
  // dumpdir 'D', volume label 'V'...) arrives as null.
  const type = header.type as Header['type'] | null;
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case 'directory':
      break;
    case 'symlink':
      throw unsupportedType(name, 'a symbolic link');
    case 'link':
      throw unsupportedType(name, 'a hard link');
    case 'character-device':
    case 'block-device':
      throw unsupportedType(name, 'a device');
    case 'fifo':
      throw unsupportedType(name, 'a FIFO (named pipe)');
    default:
      throw unsupportedType(name, 'an entry of a type the agent does not handle');
  }
  const kind = type === 'directory' ? 'directory' : 'file';

  if (checked.root) {
    if (kind === 'directory') return undefined;
    throw new ArchiveRejected('unsafe_path', `The archive was refused: entry ${quoteEntry(name)} has no usable name.`, name);
  }
  if (kind === 'directory' && header.size > 0) {
    throw new ArchiveRejected('corrupt', `The archive was refused: folder entry ${quoteEntry(checked.path)} carries data.`, checked.path);
  }
  if (!Number.isSafeInteger(header.size) || header.size < 0) {
    throw new ArchiveRejected('corrupt', `The archive was refused: entry ${quoteEntry(checked.path)} has an unreadable size.`, checked.path);
  }
  return { path: checked.path, kind, size: kind === 'directory' ? 0 : header.size, mtime: header.mtime };
}

/**
 * The entry name as UTF-8. Names from ustar/GNU headers came through as latin1 (raw bytes) and
 * are decoded strictly here. A PAX `path` is UTF-8 by definition and tar-stream has already
 * decoded it, replacing invalid bytes with U+FFFD: its presence is how we detect them.
 */
function decodeName(header: Header): string {
  const pax = header.pax;
  if (typeof pax === 'object' && pax !== null && typeof (pax as Record<string, unknown>).path === 'string') {
    if (header.name.includes('\ufffd')) throw invalidUtf8(header.name);
    return header.name;
  }
  const bytes = Buffer.from(header.name, 'latin1');
  const name = decodeUtf8Strict(bytes);
  if (name === undefined) throw invalidUtf8(decodeUtf8Lossy(bytes));
  return name;
}

/**
 * The current entry: its data may be opened once, while it is current; otherwise it is skipped.
 */
class TarSlot {
  private current = true;
  private guard: EntryGuard | undefined;

  constructor(
    private readonly item: TarItem,
    private readonly entry: DescribedEntry,
    private readonly index: number,
    private readonly maxEntryBytes: number,
    private readonly budget: ByteBudget,
    private readonly translate: (err: unknown) => Error,
  ) {}

  get opened(): boolean {
    return this.guard !== undefined;
  }

  toEntry(): ArchiveEntry {
    const { entry } = this;
    return {
      index: this.index,
      path: entry.path,
      kind: entry.kind,
      size: entry.size,
      ...(entry.mtime ? { mtime: entry.mtime } : {}),
      open: (signal?: AbortSignal) => this.open(signal),
    };
  }

  /** The iterator moved on: the entry can no longer be opened. */
  retire(): void {
    this.current = false;
  }

  private open(signal: AbortSignal | undefined): Promise<Readable> {
    if (!this.current) {
      return Promise.reject(
        new ArchiveUsageError(`tar entry "${this.entry.path}" was opened after the iterator moved past it`),
      );
    }
    if (this.guard) return Promise.reject(new ArchiveUsageError(`tar entry "${this.entry.path}" was already opened`));
    signal?.throwIfAborted();
    const guard = new EntryGuard({
      entry: this.entry.path,
      index: this.index,
      declaredSize: this.entry.size,
      sizeIsCertain: true,
      maxEntryBytes: this.maxEntryBytes,
      budget: this.budget,
    });
    this.guard = guard;
    if (!hasData(this.item.header)) {
      guard.end();
      return Promise.resolve(guard);
    }

    const source = this.item.stream;
    let detached = false;
    let ended = false;
    source.on('data', (chunk: unknown) => {
      if (detached) return;
      if (!guard.write(chunk)) source.pause();
    });
    guard.on('drain', () => source.resume());
    source.on('end', () => {
      ended = true;
      if (!detached) guard.end();
    });
    source.on('error', (err: unknown) => {
      if (!guard.destroyed) guard.destroy(this.translate(err));
    });
    source.once('close', () => {
      if (!ended && !guard.destroyed) guard.destroy(new ArchiveUsageError('the tar archive reader was closed'));
    });
    guard.once('close', () => {
      if (ended) return;
      // The consumer stopped early: read the rest of the entry into the void so that the tar
      // stream can move on (destroying tar-stream's entry stream would end the whole archive).
      detached = true;
      source.resume();
    });
    if (signal) {
      const onAbort = (): void => {
        guard.destroy(asError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      guard.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return Promise.resolve(guard);
  }
}

/** Resolves when the entry's data stream has ended (at once for entries without data). */
function dataDrained(item: TarItem): Promise<void> {
  if (!hasData(item.header)) return Promise.resolve();
  let ended = false;
  const drained = new Promise<void>((resolve, reject) => {
    item.stream.once('end', () => {
      ended = true;
      resolve();
    });
    item.stream.once('error', (err: unknown) => reject(asError(err)));
    // Closed without an end (the reader was closed): settle() reports why. 'close' also follows
    // every normal 'end'; the error (and its stack trace) is only built when it matters.
    item.stream.once('close', () => {
      if (!ended) reject(new ArchiveUsageError('the tar archive reader was closed'));
    });
  });
  // Observed by settle(); this keeps an early failure from being reported as unhandled.
  drained.catch(() => undefined);
  return drained;
}

/** Entries whose bytes pass through tar-stream's entry stream (see tar-stream's extract.js). */
function hasData(header: Header): boolean {
  return header.type !== 'directory' && header.size > 0;
}

function byteOffsetOf(header: Header): number {
  // tar-stream records where the entry's data starts in the (decompressed) tar stream.
  const offset: unknown = Reflect.get(header, 'byteOffset');
  return typeof offset === 'number' ? offset : 0;
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/**
 * Counts the bytes of the tar stream (after gunzip) and, for tar.gz, stops a gzip bomb: the tar
 * may not grow past maxCompressionRatio times the gzip bytes read so far.
 */
class TarMeter extends Transform {
  tarBytes = 0;
  compressedBytes = 0;

  constructor(private readonly ctx: TarContext) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tarBytes += chunk.length;
    const { ctx } = this;
    if (
      ctx.gzipped &&
      this.tarBytes > ctx.graceBytes &&
      this.tarBytes > ctx.limits.maxCompressionRatio * Math.max(1, this.compressedBytes)
    ) {
      callback(ratioRejection(undefined, ctx.limits.maxCompressionRatio));
      return;
    }
    callback(null, chunk);
  }
}

function gzipError(err: unknown): Error {
  if (err instanceof ArchiveRejected || isAbortError(err)) return asError(err);
  const code = (err as { code?: unknown }).code;
  if (code === 'Z_BUF_ERROR') {
    return new ArchiveRejected(
      'truncated',
      'The archive was refused: its gzip compression ends early; it was probably cut short during upload. Upload it again.',
      undefined,
      { cause: err },
    );
  }
  return new ArchiveRejected(
    'corrupt',
    `The archive was refused: its gzip compression is damaged (${asError(err).message}).`,
    undefined,
    { cause: err },
  );
}
