import { Readable } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';
import { fromReader, type Entry as YauzlEntry, type ZipFile } from 'yauzl-promise';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import {
  ArchiveUsageError,
  DEFAULT_RATIO_GRACE_BYTES,
  type ArchiveEntry,
  type ArchiveLimits,
  type ListedEntry,
  type ZipArchiveReader,
  type ZipListing,
} from './archive-types.js';
import { ByteBudget, EntryGuard } from './entry-guard.js';
import { decodeZipName } from './entry-name-encoding.js';
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
import { asError, chainInto, isAbortError } from './stream-chain.js';
import { readLocalHeader, type CentralRecord } from './zip-local-header.js';
import { ZipSourceReader, type ZipSourceReaderOptions } from './zip-source-reader.js';

// We decode names ourselves (decodeStrings: false) to refuse invalid UTF-8 instead of replacing
// it, validate paths ourselves to give typed reasons, and check sizes ourselves while streaming.
// macOS Archive Utility's malformed >4 GiB zips stay readable (yauzl-promise's speciality).
const YAUZL_OPTIONS = {
  decodeStrings: false,
  validateEntrySizes: false,
  validateFilenames: false,
  strictFilenames: false,
  supportMacArchive: true,
} as const;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const METHOD_AES = 99;
const EXTRA_UNICODE_PATH = 0x7075;
const EXTRA_EXTENDED_TIMESTAMP = 0x5455;
const LOCAL_HEADER_FIXED = 30;
const HOST_UNIX = 3;
const HOST_DARWIN = 19;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_DIRECTORY = 0x10;

// zlib's default output chunk is 16 KiB; 64 KiB chunks quarter the per-chunk cost (guard, CRC,
// consumer writes) at a bounded memory price.
const INFLATE_CHUNK_BYTES = 64 * 1024;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'XZ',
  98: 'PPMd',
};

export interface ZipOptions extends ZipSourceReaderOptions {
  /** listZip: also return every entry (path, kind, sizes, CRC). */
  readonly entries?: boolean;
}

/** One central directory entry, checked and decoded. */
interface CheckedEntry {
  readonly index: number;
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size: number;
  readonly sizeIsCertain: boolean;
  readonly compressedSize: number;
  readonly crc32: number;
  readonly mtime: Date;
  readonly record: CentralRecord;
}

interface ZipContext {
  readonly source: RandomAccessSource;
  readonly reader: ZipSourceReader;
  readonly limits: ArchiveLimits;
  readonly graceBytes: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Reads only the central directory (from the end of the source) and checks it in full: names,
 * types, encryption, compression methods, duplicates, declared sizes against the limits and
 * entries overlapping each other. Nothing is decompressed. Throws ArchiveRejected.
 */
export async function listZip(
  source: RandomAccessSource,
  limits: ArchiveLimits,
  signal?: AbortSignal,
  options: ZipOptions = {},
): Promise<ZipListing> {
  const ctx = context(source, limits, signal, options);
  return (await validateZip(ctx, options.entries === true)).listing;
}

/**
 * Opens a zip for reading. The whole central directory is checked first (see listZip), so a
 * hostile zip is refused before any entry is handed out; data-level problems (CRC, sizes, local
 * header, ratio) surface on the entry's stream.
 */
export async function openZipArchive(
  source: RandomAccessSource,
  limits: ArchiveLimits,
  signal?: AbortSignal,
  options: ZipSourceReaderOptions = {},
): Promise<ZipArchiveReader> {
  const ctx = context(source, limits, signal, options);
  const { listing, dataLimit } = await validateZip(ctx, false);
  const budget = new ByteBudget(limits.maxTotalBytes);
  const state: ReaderState = { closed: false, streams: new Set() };

  return {
    format: 'zip',
    access: 'random',
    listing,
    [Symbol.asyncIterator]: () => iterateZip(ctx, state, budget, dataLimit, listing.entryCount),
    close(): Promise<void> {
      state.closed = true;
      for (const stream of state.streams) stream.destroy(new ArchiveUsageError('the zip archive reader was closed'));
      state.streams.clear();
      ctx.reader.clear();
      return Promise.resolve();
    },
  };
}

interface ReaderState {
  closed: boolean;
  readonly streams: Set<Readable>;
}

/** What every entry stream of one pass over an open zip shares. */
interface ZipPass {
  readonly ctx: ZipContext;
  readonly state: ReaderState;
  /** The archive-wide byte budget (maxTotalBytes) that every entry stream draws from. */
  readonly budget: ByteBudget;
  /** Where entry data may end: the start of the central directory. */
  readonly dataLimit: number;
  readonly zip: ZipFile;
}

function context(
  source: RandomAccessSource,
  limits: ArchiveLimits,
  signal: AbortSignal | undefined,
  options: ZipSourceReaderOptions,
): ZipContext {
  return {
    source,
    reader: new ZipSourceReader(source, signal, options),
    limits,
    graceBytes: limits.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES,
    signal,
  };
}

async function openZip(ctx: ZipContext): Promise<ZipFile> {
  ctx.signal?.throwIfAborted();
  if (ctx.source.size === 0) throw emptyFile();
  try {
    return await fromReader(ctx.reader, ctx.source.size, YAUZL_OPTIONS);
  } catch (err) {
    if (passThrough(ctx, err)) throw err;
    if (asError(err).message.includes('End of Central Directory Record not found')) {
      // No end record. If it starts like a zip, the end was lost: an interrupted upload.
      const head = await ctx.reader.readRange(0, Math.min(4, ctx.source.size));
      if (head.length === 4 && head.readUInt32LE(0) === 0x04034b50) {
        throw new ArchiveRejected(
          'truncated',
          'The archive was refused: the zip has no directory at its end; it was probably cut short during upload. Upload it again.',
        );
      }
      throw new ArchiveRejected('not_an_archive', 'The archive was refused: its content is not a zip archive.');
    }
    throw corruptZip(err);
  }
}

async function validateZip(
  ctx: ZipContext,
  collect: boolean,
): Promise<{ listing: ZipListing; dataLimit: number }> {
  const zip = await openZip(ctx);
  const { limits } = ctx;
  if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits.maxEntries);

  const namespace = new EntryNamespace();
  const collected: ListedEntry[] = [];
  const spans: { start: number; end: number; path: string }[] = [];
  let entryCount = 0;
  let fileCount = 0;
  let directoryCount = 0;
  let totalDeclaredBytes = 0;
  let totalCompressedBytes = 0;
  let hasTransferXml = false;

  for (;;) {
    const raw = await nextEntry(ctx, zip);
    if (raw === null) break;
    if (++entryCount > limits.maxEntries) throw tooManyEntries(limits.maxEntries);
    const entry = checkCentralEntry(ctx, raw, entryCount - 1);
    const record = recordOf(raw);
    // The least room an entry takes from its local header on (its extra field may add more).
    spans.push({
      start: record.headerOffset,
      end: record.headerOffset + LOCAL_HEADER_FIXED + record.nameBytes.length + record.compressedSize,
      path: entry?.path ?? '.',
    });
    if (entry === undefined) continue;

    namespace.add(entry.path, entry.kind);
    totalDeclaredBytes += entry.size;
    totalCompressedBytes += entry.compressedSize;
    if (totalDeclaredBytes > limits.maxTotalBytes) throw tooLargeInTotal(limits.maxTotalBytes, entry.path);
    if (entry.kind === 'file') fileCount++;
    else directoryCount++;
    if (entry.kind === 'file' && entry.path === 'transfer.xml') hasTransferXml = true;
    if (collect) {
      collected.push({
        index: entry.index,
        path: entry.path,
        kind: entry.kind,
        size: entry.size,
        compressedSize: entry.compressedSize,
        crc32: entry.crc32,
      });
    }
  }

  const dataLimit = centralDirectoryOffset(zip) ?? ctx.source.size;
  checkNoOverlap(spans, dataLimit);

  const listing: ZipListing = {
    entryCount,
    fileCount,
    directoryCount,
    totalDeclaredBytes,
    totalCompressedBytes,
    hasTransferXml,
    isZip64: zip.isZip64,
    ...(collect ? { entries: collected } : {}),
  };
  return { listing, dataLimit };
}

async function* iterateZip(
  ctx: ZipContext,
  state: ReaderState,
  budget: ByteBudget,
  dataLimit: number,
  expectedCount: number,
): AsyncGenerator<ArchiveEntry> {
  if (state.closed) throw new ArchiveUsageError('the zip archive reader is closed');
  const zip = await openZip(ctx);
  const pass: ZipPass = { ctx, state, budget, dataLimit, zip };
  let index = 0;
  for (;;) {
    const raw = await nextEntry(ctx, zip);
    if (raw === null) break;
    if (index >= expectedCount) throw corruptZip(new Error('more entries than at the first reading'));
    const entry = checkCentralEntry(ctx, raw, index++);
    if (entry === undefined) continue;
    yield zipEntry(pass, raw, entry);
  }
}

async function nextEntry(ctx: ZipContext, zip: ZipFile): Promise<YauzlEntry | null> {
  ctx.signal?.throwIfAborted();
  try {
    return await zip.readEntry();
  } catch (err) {
    if (passThrough(ctx, err)) throw err;
    if (asError(err).message.includes('Strong encryption')) {
      throw new ArchiveRejected(
        'encrypted_entry',
        'The archive was refused: it holds encrypted entries. Upload an archive without a password.',
      );
    }
    throw corruptZip(err);
  }
}

function zipEntry(pass: ZipPass, raw: YauzlEntry, entry: CheckedEntry): ArchiveEntry {
  return {
    index: entry.index,
    path: entry.path,
    kind: entry.kind,
    size: entry.size,
    crc32: entry.crc32,
    compressedSize: entry.compressedSize,
    mtime: entry.mtime,
    open: (signal?: AbortSignal) => openEntryStream(pass, raw, entry, signal),
  };
}

async function openEntryStream(pass: ZipPass, raw: YauzlEntry, entry: CheckedEntry, signal: AbortSignal | undefined): Promise<Readable> {
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

  const stages = [{ stream: compressed, mapError: asError }];
  if (entry.record.method === METHOD_DEFLATED) {
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

/** Checks one central directory entry; undefined for the archive's own root (`./`). */
function checkCentralEntry(ctx: ZipContext, raw: YauzlEntry, index: number): CheckedEntry | undefined {
  const { limits } = ctx;
  const record = recordOf(raw);

  const decoded = decodeZipName(record.nameBytes, (record.flags & FLAG_UTF8) !== 0, unicodePathOf(raw, record.nameBytes));
  if (!decoded.ok) {
    throw invalidUtf8(decoded.shown);
  }
  const name = decoded.name;
  const checked = checkEntryPath(name);
  if (!checked.ok) {
    throw unsafePath(name, checked.problem);
  }

  const host = raw.versionMadeBy >>> 8;
  const mode = raw.externalFileAttributes >>> 16;
  const type = host === HOST_UNIX || host === HOST_DARWIN ? mode & S_IFMT : 0;
  if (type === S_IFLNK) throw unsupportedType(name, 'a symbolic link');
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw unsupportedType(name, 'a device, FIFO or socket');
  const isDirectory =
    name.endsWith('/') || type === S_IFDIR || (host === 0 && (raw.externalFileAttributes & DOS_DIRECTORY) !== 0);

  if (checked.root) {
    if (isDirectory && raw.uncompressedSize === 0) return undefined;
    throw new ArchiveRejected('unsafe_path', `The archive was refused: entry ${quoteEntry(name)} has no usable name.`, name);
  }
  const path = checked.path;

  if ((record.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0 || record.method === METHOD_AES) {
    throw new ArchiveRejected(
      'encrypted_entry',
      `The archive was refused: entry ${quoteEntry(path)} is encrypted (password-protected). Upload an archive without a password.`,
      path,
    );
  }
  if (record.method !== METHOD_STORED && record.method !== METHOD_DEFLATED) {
    const method = METHOD_NAMES[record.method] ?? `method ${record.method}`;
    throw new ArchiveRejected(
      'unsupported_compression',
      `The archive was refused: entry ${quoteEntry(path)} is compressed with ${method}, which the agent cannot read. Re-create the archive with standard (deflate) compression.`,
      path,
    );
  }

  const sizeIsCertain = raw.uncompressedSizeIsCertain;
  if (isDirectory && raw.uncompressedSize !== 0) {
    throw new ArchiveRejected('corrupt', `The archive was refused: folder entry ${quoteEntry(path)} carries data.`, path);
  }
  if (record.method === METHOD_STORED && sizeIsCertain && raw.compressedSize !== raw.uncompressedSize) {
    throw new ArchiveRejected(
      'size_mismatch',
      `The archive was refused: entry ${quoteEntry(path)} is stored uncompressed, yet its two declared sizes differ; the archive is damaged or crafted.`,
      path,
    );
  }
  if (raw.uncompressedSize > limits.maxEntryBytes) {
    throw tooLargeEntry(path, raw.uncompressedSize, limits.maxEntryBytes);
  }
  const graceBytes = ctx.graceBytes;
  if (raw.uncompressedSize > graceBytes && raw.uncompressedSize > limits.maxCompressionRatio * Math.max(1, raw.compressedSize)) {
    throw new ArchiveRejected(
      'compression_ratio',
      `The archive was refused: entry ${quoteEntry(path)} would expand ${Math.round(raw.uncompressedSize / Math.max(1, raw.compressedSize))} times its compressed size (the limit is ${limits.maxCompressionRatio}), the pattern of a "zip bomb".`,
      path,
    );
  }

  return {
    index,
    path,
    kind: isDirectory ? 'directory' : 'file',
    size: raw.uncompressedSize,
    sizeIsCertain,
    compressedSize: raw.compressedSize,
    crc32: raw.crc32 >>> 0,
    mtime: mtimeOf(raw),
    record,
  };
}

function recordOf(raw: YauzlEntry): CentralRecord {
  // With decodeStrings: false yauzl hands the raw name bytes (its typings say string).
  const nameBytes: unknown = raw.filename;
  if (!Buffer.isBuffer(nameBytes)) throw new TypeError('yauzl returned a decoded file name; decodeStrings must be false');
  return {
    nameBytes,
    flags: raw.generalPurposeBitFlag,
    method: raw.compressionMethod,
    crc32: raw.crc32,
    compressedSize: raw.compressedSize,
    uncompressedSize: raw.uncompressedSize,
    headerOffset: raw.fileHeaderOffset,
  };
}

/** The Info-ZIP Unicode Path (0x7075) name, when present, version 1 and matching the raw name. */
function unicodePathOf(raw: YauzlEntry, nameBytes: Buffer): Buffer | undefined {
  for (const field of raw.extraFields) {
    if (field.id !== EXTRA_UNICODE_PATH || field.data.length < 5 || field.data[0] !== 1) continue;
    if (field.data.readUInt32LE(1) !== crc32(nameBytes)) continue;
    return field.data.subarray(5);
  }
  return undefined;
}

/** The Unix mtime of the extended timestamp field (0x5455) if any, else the DOS time (as UTC). */
function mtimeOf(raw: YauzlEntry): Date {
  const extended = raw.extraFields.find((f) => f.id === EXTRA_EXTENDED_TIMESTAMP)?.data;
  if (extended && extended.length >= 5 && ((extended[0] ?? 0) & 1) !== 0) {
    return new Date(extended.readInt32LE(1) * 1000);
  }
  return raw.getLastMod();
}

/** yauzl-promise's documented `isMacArchive` / `isMaybeMacArchive` (not in the typings). */
function mayBeMacArchive(zip: ZipFile): boolean {
  return Reflect.get(zip, 'isMacArchive') !== false || Reflect.get(zip, 'isMaybeMacArchive') !== false;
}

function centralDirectoryOffset(zip: ZipFile): number | undefined {
  // Not in the typings, but a documented property of yauzl-promise's Zip.
  const offset: unknown = Reflect.get(zip, 'centralDirectoryOffset');
  return typeof offset === 'number' ? offset : undefined;
}

/**
 * Entries whose data overlap are the core of "non-recursive" zip bombs (many entries inflating
 * the same compressed bytes) and never occur in a zip a tool wrote.
 */
function checkNoOverlap(spans: { start: number; end: number; path: string }[], dataLimit: number): void {
  spans.sort((a, b) => a.start - b.start);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as { start: number; end: number; path: string };
    const next = spans[i + 1];
    if ((next !== undefined && next.start < span.end) || span.end > dataLimit) {
      throw new ArchiveRejected(
        'corrupt',
        `The archive was refused: the data of entry ${quoteEntry(span.path)} overlaps another entry or the zip directory, a construction used by "zip bombs".`,
        span.path,
      );
    }
  }
}

function passThrough(ctx: ZipContext, err: unknown): boolean {
  return err instanceof ArchiveRejected || err instanceof ArchiveUsageError || isAbortError(err) || ctx.reader.isSourceError(err);
}

function corruptZip(err: unknown, entry?: string): ArchiveRejected {
  const where = entry === undefined ? 'its zip structure' : `the zip structure around entry ${quoteEntry(entry)}`;
  return new ArchiveRejected('corrupt', `The archive was refused: ${where} is damaged (${asError(err).message}).`, entry, {
    cause: err,
  });
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
