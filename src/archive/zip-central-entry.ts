import { crc32 } from 'node:zlib';
import type { Entry as YauzlEntry } from 'yauzl-promise';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { decodeZipName } from './entry-name-encoding.js';
import { checkEntryPath } from './path-safety.js';
import { invalidUtf8, tooLargeEntry, unsafePath, unsupportedType } from './rejections.js';
import type { ZipContext } from './zip-directory-reader.js';
import { ZIP_EXTRA, ZIP_FLAG, ZIP_METHOD } from './zip-format.js';
import type { CentralRecord } from './zip-local-header.js';

const HOST_UNIX = 3;
const HOST_DARWIN = 19;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_DIRECTORY = 0x10;

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

/** One central directory entry, checked and decoded. */
export interface CheckedEntry {
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

/** Checks one central directory entry; undefined for the archive's own root (`./`). */
export function checkCentralEntry(ctx: ZipContext, raw: YauzlEntry, index: number): CheckedEntry | undefined {
  const { limits } = ctx;
  const record = recordOf(raw);

  const decoded = decodeZipName(record.nameBytes, (record.flags & ZIP_FLAG.utf8) !== 0, unicodePathOf(raw, record.nameBytes));
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

  if ((record.flags & (ZIP_FLAG.encrypted | ZIP_FLAG.strongEncryption)) !== 0 || record.method === ZIP_METHOD.aes) {
    throw new ArchiveRejected(
      'encrypted_entry',
      `The archive was refused: entry ${quoteEntry(path)} is encrypted (password-protected). Upload an archive without a password.`,
      path,
    );
  }
  if (record.method !== ZIP_METHOD.stored && record.method !== ZIP_METHOD.deflated) {
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
  if (record.method === ZIP_METHOD.stored && sizeIsCertain && raw.compressedSize !== raw.uncompressedSize) {
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

/** The raw fields of the record that the local header must repeat. */
export function recordOf(raw: YauzlEntry): CentralRecord {
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
    if (field.id !== ZIP_EXTRA.unicodePath || field.data.length < 5 || field.data[0] !== 1) continue;
    if (field.data.readUInt32LE(1) !== crc32(nameBytes)) continue;
    return field.data.subarray(5);
  }
  return undefined;
}

/** The Unix mtime of the extended timestamp field (0x5455) if any, else the DOS time (as UTC). */
function mtimeOf(raw: YauzlEntry): Date {
  const extended = raw.extraFields.find((f) => f.id === ZIP_EXTRA.extendedTimestamp)?.data;
  if (extended && extended.length >= 5 && ((extended[0] ?? 0) & 1) !== 0) {
    return new Date(extended.readInt32LE(1) * 1000);
  }
  return raw.getLastMod();
}
