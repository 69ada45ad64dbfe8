import type { ArchiveFormat, ArchiveLimits, ArchiveReader } from './archive-types.js';
import type { RandomAccessSource } from './random-access-source.js';
import { openTarArchive } from './tar-archive.js';
import { openZipArchive } from './zip-archive.js';

/**
 * One entry point for every format. The result is an async iterable of safe entries (see
 * ArchiveEntry) plus `close()`; its `access` says how entries may be opened: `random` for zip
 * (any order, concurrently), `sequential` for tar and tar.gz (strictly in order).
 *
 * Zip: the central directory is read and checked in full before this resolves, so a hostile zip
 * is refused here. Tar: checks happen as the stream goes by, so refusals come from the iteration.
 * Every refusal is an ArchiveRejected; the source's own errors (e.g. IrodsError) and aborts are
 * passed through untouched, so the caller can tell "retry" from "refuse".
 */
export function openArchive(
  source: RandomAccessSource,
  format: ArchiveFormat,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<ArchiveReader> {
  switch (format) {
    case 'zip':
      return openZipArchive(source, limits, signal);
    case 'tar':
      return openTarArchive(source, false, limits, signal);
    case 'tar.gz':
      return openTarArchive(source, true, limits, signal);
  }
}
