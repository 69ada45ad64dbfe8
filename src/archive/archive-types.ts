import type { Readable } from 'node:stream';

export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz';

/**
 * Limits against hostile archives; the agent's `config.limits` fits as is. Every limit is enforced
 * on the bytes that actually flow, not only on what headers declare (headers can lie).
 */
export interface ArchiveLimits {
  /** Most entries (files and folders) an archive may hold. */
  readonly maxEntries: number;
  /** Most bytes all entries may expand to, together. */
  readonly maxTotalBytes: number;
  /** Most bytes one entry may expand to. */
  readonly maxEntryBytes: number;
  /**
   * Most an entry may expand relative to its compressed size (zip, per entry), or the whole tar
   * relative to the gzip stream (tar.gz). Enforced once more than `ratioGraceBytes` came out.
   */
  readonly maxCompressionRatio: number;
  /**
   * Output below which the ratio is not judged: a small, highly compressible file (an empty
   * table, a blank mask) is not a bomb. Default DEFAULT_RATIO_GRACE_BYTES (1 MiB).
   */
  readonly ratioGraceBytes?: number;
}

export const DEFAULT_RATIO_GRACE_BYTES = 1024 * 1024;

/** How entries of an archive may be opened. */
export type ArchiveAccess =
  /**
   * Zip: the central directory says where every entry is. Entries may be opened in any order,
   * several at once, and more than once (a retry), until `close()`; iterating again re-reads the
   * central directory (cheap), which is how a resumed expansion skips what is done.
   */
  | 'random'
  /**
   * Tar and tar.gz: one stream, read strictly in order. An entry can be opened once and only while
   * it is the current one (before the iterator's next step); the iterator's next step waits until
   * the opened stream has been read to its end or destroyed, and skips (reads past) an entry that
   * was not opened. So read the current entry before asking for the next one. The archive can be
   * iterated once.
   */
  | 'sequential';

export interface ArchiveEntry {
  /** Position in the archive (central directory order for zip, stream order for tar), from 0. */
  readonly index: number;
  /** Safe, normalised, relative path: `a/b/c.tif`, never a leading `./`, `/` or `..`. */
  readonly path: string;
  readonly kind: 'file' | 'directory';
  /** Size the headers declare, in bytes (0 for folders). The stream enforces it. */
  readonly size: number;
  /** Zip only: CRC-32 from the central directory; the stream verifies it. */
  readonly crc32?: number;
  /** Zip only: bytes the entry occupies in the archive. */
  readonly compressedSize?: number;
  /** Modification time the archive records, if any. */
  readonly mtime?: Date;
  /**
   * The entry's content as a byte stream that enforces every limit while it flows. It fails
   * with ArchiveRejected (size_mismatch, crc_mismatch, too_large, compression_ratio,
   * header_mismatch, corrupt, truncated) or with the source's own error (e.g. an IrodsError,
   * an AbortError), never silently short. A folder gives an empty stream.
   */
  open(signal?: AbortSignal): Promise<Readable>;
}

/** What the central directory of a zip says, read without decompressing anything. */
export interface ZipListing {
  readonly entryCount: number;
  readonly fileCount: number;
  readonly directoryCount: number;
  /** Sum of the declared uncompressed sizes. */
  readonly totalDeclaredBytes: number;
  /** Sum of the compressed sizes. */
  readonly totalCompressedBytes: number;
  /** Whether `transfer.xml` is a file at the archive root. */
  readonly hasTransferXml: boolean;
  readonly isZip64: boolean;
  /** Every entry, in central directory order (only when asked: `listZip(..., { entries: true })`). */
  readonly entries?: readonly ListedEntry[];
}

export interface ListedEntry {
  readonly index: number;
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size: number;
  readonly compressedSize: number;
  readonly crc32: number;
}

interface ArchiveReaderBase extends AsyncIterable<ArchiveEntry> {
  readonly format: ArchiveFormat;
  readonly access: ArchiveAccess;
  /**
   * Ends every stream still open and releases what the reader holds. The source itself belongs
   * to the caller and is not closed.
   */
  close(): Promise<void>;
}

export interface ZipArchiveReader extends ArchiveReaderBase {
  readonly format: 'zip';
  readonly access: 'random';
  /** The central directory, already checked in full before the first entry is given out. */
  readonly listing: ZipListing;
}

export interface TarArchiveReader extends ArchiveReaderBase {
  readonly format: 'tar' | 'tar.gz';
  readonly access: 'sequential';
}

export type ArchiveReader = ZipArchiveReader | TarArchiveReader;

/** Misuse of the reader by its caller (a bug, not a property of the archive). */
export class ArchiveUsageError extends Error {
  override readonly name = 'ArchiveUsageError';
  readonly code = 'ARCHIVE_USAGE';
}
