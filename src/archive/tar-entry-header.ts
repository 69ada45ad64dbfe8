import type { Header } from 'tar-stream';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { decodeUtf8Lossy, decodeUtf8Strict } from './entry-name-encoding.js';
import { checkEntryPath } from './path-safety.js';
import { invalidUtf8, unsafePath, unsupportedType } from './rejections.js';

/** One tar header, checked and decoded. */
export interface DescribedEntry {
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size: number;
  readonly mtime: Date | undefined;
}

/** Checks one header; undefined for the archive's root. Throws ArchiveRejected. */
export function describeEntry(header: Header): DescribedEntry | undefined {
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

/** Entries whose bytes pass through tar-stream's entry stream (see tar-stream's extract.js). */
export function hasData(header: Header): boolean {
  return header.type !== 'directory' && header.size > 0;
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
