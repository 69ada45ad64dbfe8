/**
 * Why an archive (or one of its entries) was refused. The pipeline records the reason on the
 * archive's status AVU and never retries: the same bytes will be refused again.
 */
export type ArchiveRejectReason =
  /** The bytes are not a zip, tar or tar.gz at all (or the file is empty). */
  | 'not_an_archive'
  /** An entry name would land outside the target collection or is not a usable name. */
  | 'unsafe_path'
  /** Two entries with the same name, or a file whose name is also used as a folder. */
  | 'duplicate_entry'
  /** A symbolic link, hard link, device, FIFO or other entry that is not a file or folder. */
  | 'unsupported_entry_type'
  /** A zip entry compressed with something other than store or deflate. */
  | 'unsupported_compression'
  /** A password-protected zip entry. */
  | 'encrypted_entry'
  /** More entries than limits.maxEntries. */
  | 'too_many_entries'
  /** An entry above limits.maxEntryBytes, or the archive above limits.maxTotalBytes. */
  | 'too_large'
  /** Data that expands more than limits.maxCompressionRatio (a "zip bomb"). */
  | 'compression_ratio'
  /** The archive ends early (an interrupted upload, usually). */
  | 'truncated'
  /** Structurally broken: bad headers, overlapping entries, undecodable data. */
  | 'corrupt'
  /** A zip entry's local header disagrees with the central directory. */
  | 'header_mismatch'
  /** An entry holds more or fewer bytes than its header declares. */
  | 'size_mismatch'
  /** An entry's data does not match its CRC-32: damaged in storage or transit. */
  | 'crc_mismatch'
  /** An entry name whose bytes are not valid UTF-8 (iRODS names must be). */
  | 'invalid_utf8';

export const ARCHIVE_REJECT_REASONS: readonly ArchiveRejectReason[] = [
  'not_an_archive',
  'unsafe_path',
  'duplicate_entry',
  'unsupported_entry_type',
  'unsupported_compression',
  'encrypted_entry',
  'too_many_entries',
  'too_large',
  'compression_ratio',
  'truncated',
  'corrupt',
  'header_mismatch',
  'size_mismatch',
  'crc_mismatch',
  'invalid_utf8',
];

/**
 * An archive the agent refuses to expand. `reason` is a stable code for machines, `entry` the
 * offending entry's name as it appears in the archive (control characters escaped), and
 * `message` a sentence a scientist can act on.
 */
export class ArchiveRejected extends Error {
  override readonly name = 'ArchiveRejected';
  readonly code = 'ARCHIVE_REJECTED';
  readonly reason: ArchiveRejectReason;
  readonly entry: string | undefined;

  constructor(reason: ArchiveRejectReason, message: string, entry?: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.entry = entry;
  }

  /** A rejection is a property of the bytes: retrying the same archive cannot succeed. */
  get retryable(): false {
    return false;
  }
}

/**
 * A name made printable for messages and logs: control characters, NUL and backslashes are shown
 * escaped so that a hostile name cannot forge log lines or terminal output.
 */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (c) =>
    c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

const SHOWN_NAME_CHARS = 200;

/**
 * `"name"` for messages (printable, and shortened past 200 characters: a PAX name can be
 * megabytes, and the message ends up in an AVU), or nothing when no entry is concerned.
 */
export function quoteEntry(entry: string | undefined): string {
  if (entry === undefined) return '';
  const shown = printableName(entry);
  return `"${shown.length > SHOWN_NAME_CHARS ? `${shown.slice(0, SHOWN_NAME_CHARS)}…` : shown}"`;
}
