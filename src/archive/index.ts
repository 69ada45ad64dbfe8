// The archive module: reads OMERO transfer archives (zip, tar, tar.gz) safely and as streams,
// through a RandomAccessSource. It knows nothing of iRODS or HTTP.
export type { RandomAccessSource } from './random-access-source.js';
export { fileSource, type FileSource } from './file-source.js';
export { bufferSource } from './buffer-source.js';

export {
  ArchiveRejected,
  ARCHIVE_REJECT_REASONS,
  printableName,
  quoteEntry,
  type ArchiveRejectReason,
} from './archive-rejected.js';
export {
  ArchiveUsageError,
  DEFAULT_RATIO_GRACE_BYTES,
  type ArchiveAccess,
  type ArchiveEntry,
  type ArchiveFormat,
  type ArchiveLimits,
  type ArchiveReader,
  type ListedEntry,
  type TarArchiveReader,
  type ZipArchiveReader,
  type ZipListing,
} from './archive-types.js';

export { detectFormat, detectSourceFormat, formatFromName, FORMAT_HEAD_BYTES } from './format-detection.js';
export { openArchive } from './open-archive.js';
export { listZip, type ZipOptions } from './zip-archive.js';
export { listEntries, type EntryListing, type ListedName } from './list-entries.js';
export { formatBytes } from './format-bytes.js';
export { readEntryBytes } from './read-entry.js';

export { checkEntryPath, describePathProblem, parentsOf, type PathCheck, type PathProblem } from './path-safety.js';
export { EntryNamespace } from './entry-namespace.js';
export { collectionsToCreate, type PlannedEntry } from './collection-plan.js';
