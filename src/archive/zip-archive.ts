import type { Entry as YauzlEntry } from 'yauzl-promise';
import {
  ArchiveUsageError,
  type ArchiveEntry,
  type ArchiveLimits,
  type ZipArchiveReader,
  type ZipListing,
} from './archive-types.js';
import { ByteBudget } from './entry-guard.js';
import type { RandomAccessSource } from './random-access-source.js';
import { checkCentralDirectory } from './zip-central-directory.js';
import { checkCentralEntry, type CheckedEntry } from './zip-central-entry.js';
import { corruptZip, nextEntry, openZip, zipContext } from './zip-directory-reader.js';
import { openEntryStream, type ZipPass, type ZipReaderState } from './zip-entry-stream.js';
import type { ZipSourceReaderOptions } from './zip-source-reader.js';

export interface ZipOptions extends ZipSourceReaderOptions {
  /** listZip: also return every entry (path, kind, sizes, CRC). */
  readonly entries?: boolean;
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
  const checked = await checkCentralDirectory(zipContext(source, limits, signal, options), options.entries === true);
  return checked.listing;
}

/**
 * Opens a zip for reading. The whole central directory is checked first (see listZip), so a
 * hostile zip is refused before any entry is handed out; data-level problems (CRC, sizes, local
 * header, ratio) surface on the entry's stream.
 */
export async function openZipArchive(source: RandomAccessSource, limits: ArchiveLimits, signal?: AbortSignal): Promise<ZipArchiveReader> {
  const ctx = zipContext(source, limits, signal);
  const { listing, dataLimit } = await checkCentralDirectory(ctx, false);
  const budget = new ByteBudget(limits.maxTotalBytes);
  const state: ZipReaderState = { closed: false, streams: new Set() };

  return {
    format: 'zip',
    access: 'random',
    listing,
    [Symbol.asyncIterator]: () => iterateZip({ ctx, state, budget, dataLimit }, listing.entryCount),
    close(): Promise<void> {
      state.closed = true;
      for (const stream of state.streams) stream.destroy(new ArchiveUsageError('the zip archive reader was closed'));
      state.streams.clear();
      ctx.reader.clear();
      return Promise.resolve();
    },
  };
}

/**
 * One pass over the central directory (read again: cheap, and how a resumed expansion skips what
 * is done), handing out the entries it checked the first time.
 */
async function* iterateZip(shared: Omit<ZipPass, 'zip'>, expectedCount: number): AsyncGenerator<ArchiveEntry> {
  const { ctx, state } = shared;
  if (state.closed) throw new ArchiveUsageError('the zip archive reader is closed');
  const zip = await openZip(ctx);
  const pass: ZipPass = { ...shared, zip };
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

function zipEntry(pass: ZipPass, raw: YauzlEntry, entry: CheckedEntry): ArchiveEntry {
  return {
    index: entry.index,
    path: entry.path,
    kind: entry.kind,
    size: entry.size,
    crc32: entry.crc32,
    compressedSize: entry.compressedSize,
    mtime: entry.mtime,
    open: (signal?: AbortSignal) => openEntryStream({ pass, raw, entry, signal }),
  };
}
