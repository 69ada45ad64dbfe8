import type { ArchiveFormat, ArchiveLimits } from './archive-types.js';
import { openArchive } from './open-archive.js';
import type { RandomAccessSource } from './random-access-source.js';
import { listZip } from './zip-archive.js';

/** One entry as a listing gives it: where it lands and what it holds. */
export interface ListedName {
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size: number;
}

export interface EntryListing {
  readonly entries: readonly ListedName[];
  readonly fileCount: number;
  /** Sum of the files' sizes: what the expansion writes. */
  readonly fileBytes: number;
}

/**
 * Every entry of the archive, checked as the expansion will check it, without writing anything:
 * a zip from its central directory alone; a tar or tar.gz by one pass over the whole stream
 * (its headers are spread through it), the entries' data skipped. Refusals are ArchiveRejected.
 */
export async function listEntries(source: RandomAccessSource, format: ArchiveFormat, limits: ArchiveLimits, signal?: AbortSignal): Promise<EntryListing> {
  if (format === 'zip') {
    const listing = await listZip(source, limits, signal, { entries: true });
    const entries = (listing.entries ?? []).map(({ path, kind, size }) => ({ path, kind, size }));
    return { entries, fileCount: listing.fileCount, fileBytes: listing.totalDeclaredBytes };
  }
  const reader = await openArchive(source, format, limits, signal);
  const entries: ListedName[] = [];
  let fileCount = 0;
  let fileBytes = 0;
  try {
    for await (const entry of reader) {
      entries.push({ path: entry.path, kind: entry.kind, size: entry.size });
      if (entry.kind === 'file') {
        fileCount += 1;
        fileBytes += entry.size;
      }
    }
  } finally {
    await reader.close();
  }
  return { entries, fileCount, fileBytes };
}
