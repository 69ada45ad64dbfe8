import { crc32, deflateRawSync } from 'node:zlib';
import { writeArchive } from './temp-files.js';

/**
 * A zip written byte by byte, so tests can make every field lie. Defaults give a valid zip
 * (deflate for non-empty files, UTF-8 flag for non-ASCII names, Unix attributes); every field
 * can be overridden in both headers, or in the local header only (`local`).
 */
export interface CraftedZipEntry {
  /** The name as written; a Buffer is written as is (for invalid UTF-8). */
  readonly name: string | Buffer;
  readonly data?: Buffer | string;
  /** 0 store, 8 deflate, anything else is written as is (with `compressed` as data). */
  readonly method?: number;
  /** The bytes written as the entry's data (default: data stored or deflated per method). */
  readonly compressed?: Buffer;
  /** General purpose flags (default 0x0800 when the string name is not ASCII). */
  readonly flags?: number;
  readonly crc32?: number;
  readonly compressedSize?: number;
  readonly uncompressedSize?: number;
  /** Default 0x031e: made on Unix, spec 3.0. */
  readonly versionMadeBy?: number;
  /** Default: regular file 0644 or directory 0755, Unix mode in the high 16 bits. */
  readonly externalAttributes?: number;
  readonly extra?: Buffer;
  /** Central directory only: where its local header is said to be (default: where it is). */
  readonly headerOffset?: number;
  /** Sizes and CRC in a data descriptor after the data (flag bit 3, zeros in the local header). */
  readonly dataDescriptor?: boolean;
  /** Local header fields that differ from the central directory. */
  readonly local?: {
    readonly name?: string | Buffer;
    readonly method?: number;
    readonly flags?: number;
    readonly crc32?: number;
    readonly compressedSize?: number;
    readonly uncompressedSize?: number;
    readonly extra?: Buffer;
  };
}

export interface CraftZipOptions {
  readonly comment?: string;
  /** Entry count written in the end record (default: the real count). */
  readonly declaredEntryCount?: number;
}

const DOS_TIME = (3 << 11) | (4 << 5) | 3; // 03:04:06
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 2; // 2024-01-02

/** The bytes of a crafted zip. */
export function craftZipBytes(entries: readonly CraftedZipEntry[], options: CraftZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;

  for (const entry of entries) {
    const nameBytes = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    const isDirectory = nameBytes.at(-1) === 0x2f;
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    const method = entry.method ?? (data.length > 0 ? 8 : 0);
    const compressed = entry.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const nonAscii = typeof entry.name === 'string' && Buffer.byteLength(entry.name) !== entry.name.length;
    const flags = (entry.flags ?? (nonAscii ? 0x0800 : 0)) | (entry.dataDescriptor ? 0x0008 : 0);
    const crc = entry.crc32 ?? crc32(data);
    const compressedSize = entry.compressedSize ?? compressed.length;
    const uncompressedSize = entry.uncompressedSize ?? data.length;
    const extra = entry.extra ?? Buffer.alloc(0);
    const attributes = entry.externalAttributes ?? (isDirectory ? ((0o040755 << 16) | 0x10) >>> 0 : (0o100644 << 16) >>> 0);

    const local = entry.local ?? {};
    const localName = local.name === undefined ? nameBytes : typeof local.name === 'string' ? Buffer.from(local.name) : local.name;
    const localExtra = local.extra ?? extra;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(local.flags ?? flags, 6);
    header.writeUInt16LE(local.method ?? method, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(entry.dataDescriptor ? 0 : (local.crc32 ?? crc) >>> 0, 14);
    header.writeUInt32LE(entry.dataDescriptor ? 0 : (local.compressedSize ?? compressedSize), 18);
    header.writeUInt32LE(entry.dataDescriptor ? 0 : (local.uncompressedSize ?? uncompressedSize), 22);
    header.writeUInt16LE(localName.length, 26);
    header.writeUInt16LE(localExtra.length, 28);
    const localOffset = offset;
    const descriptor = Buffer.alloc(entry.dataDescriptor ? 16 : 0);
    if (entry.dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      descriptor.writeUInt32LE(compressedSize, 8);
      descriptor.writeUInt32LE(uncompressedSize, 12);
    }
    for (const part of [header, localName, localExtra, compressed, descriptor]) {
      parts.push(part);
      offset += part.length;
    }

    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(entry.versionMadeBy ?? 0x031e, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(flags, 8);
    record.writeUInt16LE(method, 10);
    record.writeUInt16LE(DOS_TIME, 12);
    record.writeUInt16LE(DOS_DATE, 14);
    record.writeUInt32LE(crc >>> 0, 16);
    record.writeUInt32LE(compressedSize, 20);
    record.writeUInt32LE(uncompressedSize, 24);
    record.writeUInt16LE(nameBytes.length, 28);
    record.writeUInt16LE(extra.length, 30);
    record.writeUInt16LE(0, 32);
    record.writeUInt16LE(0, 34);
    record.writeUInt16LE(0, 36);
    record.writeUInt32LE(attributes >>> 0, 38);
    record.writeUInt32LE(entry.headerOffset ?? localOffset, 42);
    central.push(record, nameBytes, extra);
  }

  const centralOffset = offset;
  const centralBytes = Buffer.concat(central);
  const comment = Buffer.from(options.comment ?? '');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = options.declaredEntryCount ?? entries.length;
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...parts, centralBytes, end, comment]);
}

/** Writes a crafted zip to a scratch file and returns its path. */
export function craftZip(entries: readonly CraftedZipEntry[], options: CraftZipOptions = {}): Promise<string> {
  return writeArchive(craftZipBytes(entries, options), '.zip');
}
