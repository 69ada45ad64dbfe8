import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import type { ListedEntry, ZipListing } from './archive-types.js';
import { EntryNamespace } from './entry-namespace.js';
import { tooLargeInTotal, tooManyEntries } from './rejections.js';
import { checkCentralEntry, recordOf } from './zip-central-entry.js';
import { nextEntry, openZip, type ZipContext } from './zip-directory-reader.js';
import { LOCAL_HEADER } from './zip-format.js';

/** Where an entry's bytes lie in the archive, from its local header on. */
interface Span {
  readonly start: number;
  readonly end: number;
  readonly path: string;
}

export interface CheckedDirectory {
  readonly listing: ZipListing;
  /** Where entry data may end: the start of the central directory. */
  readonly dataLimit: number;
}

/**
 * Reads the whole central directory and checks it: every entry (see checkCentralEntry), the
 * entry count and declared total against the limits, duplicate names, and entries overlapping
 * each other or the directory. Nothing is decompressed. Throws ArchiveRejected.
 */
export async function checkCentralDirectory(ctx: ZipContext, collect: boolean): Promise<CheckedDirectory> {
  const zip = await openZip(ctx);
  const { limits } = ctx;
  if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits.maxEntries);

  const namespace = new EntryNamespace();
  const collected: ListedEntry[] = [];
  const spans: Span[] = [];
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
      end: record.headerOffset + LOCAL_HEADER.fixedBytes + record.nameBytes.length + record.compressedSize,
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

function centralDirectoryOffset(zip: object): number | undefined {
  // Not in the typings, but a documented property of yauzl-promise's Zip.
  const offset: unknown = Reflect.get(zip, 'centralDirectoryOffset');
  return typeof offset === 'number' ? offset : undefined;
}

/**
 * Entries whose data overlap are the core of "non-recursive" zip bombs (many entries inflating
 * the same compressed bytes) and never occur in a zip a tool wrote.
 */
function checkNoOverlap(spans: Span[], dataLimit: number): void {
  spans.sort((a, b) => a.start - b.start);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as Span;
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
