import { fromReader, type Entry as YauzlEntry, type ZipFile } from 'yauzl-promise';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { ArchiveUsageError, DEFAULT_RATIO_GRACE_BYTES, type ArchiveLimits } from './archive-types.js';
import type { RandomAccessSource } from './random-access-source.js';
import { emptyFile } from './rejections.js';
import { asError, isAbortError } from './stream-chain.js';
import { LOCAL_HEADER } from './zip-format.js';
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

/** What every reading of one zip shares: its bytes (through the block cache), limits and signal. */
export interface ZipContext {
  readonly source: RandomAccessSource;
  readonly reader: ZipSourceReader;
  readonly limits: ArchiveLimits;
  readonly graceBytes: number;
  readonly signal: AbortSignal | undefined;
}

export function zipContext(
  source: RandomAccessSource,
  limits: ArchiveLimits,
  signal: AbortSignal | undefined,
  options: ZipSourceReaderOptions = {},
): ZipContext {
  return {
    source,
    reader: new ZipSourceReader(source, signal, options),
    limits,
    graceBytes: limits.ratioGraceBytes ?? DEFAULT_RATIO_GRACE_BYTES,
    signal,
  };
}

/** Opens the zip through yauzl (its end records); an archive without them is refused. */
export async function openZip(ctx: ZipContext): Promise<ZipFile> {
  ctx.signal?.throwIfAborted();
  if (ctx.source.size === 0) throw emptyFile();
  try {
    return await fromReader(ctx.reader, ctx.source.size, YAUZL_OPTIONS);
  } catch (err) {
    if (passThrough(ctx, err)) throw err;
    if (asError(err).message.includes('End of Central Directory Record not found')) {
      // No end record. If it starts like a zip, the end was lost: an interrupted upload.
      const head = await ctx.reader.readRange(0, Math.min(4, ctx.source.size));
      if (head.length === 4 && head.readUInt32LE(0) === LOCAL_HEADER.signature) {
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

/** The next central directory record as yauzl read it; null after the last. */
export async function nextEntry(ctx: ZipContext, zip: ZipFile): Promise<YauzlEntry | null> {
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

/** Errors that are not the zip's fault (ours, aborts, the source's) go through untouched. */
export function passThrough(ctx: ZipContext, err: unknown): boolean {
  return err instanceof ArchiveRejected || err instanceof ArchiveUsageError || isAbortError(err) || ctx.reader.isSourceError(err);
}

export function corruptZip(err: unknown, entry?: string): ArchiveRejected {
  const where = entry === undefined ? 'its zip structure' : `the zip structure around entry ${quoteEntry(entry)}`;
  return new ArchiveRejected('corrupt', `The archive was refused: ${where} is damaged (${asError(err).message}).`, entry, {
    cause: err,
  });
}
