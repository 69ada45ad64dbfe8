import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { LOCAL_HEADER, U32_MAX, ZIP_EXTRA, ZIP_FLAG } from './zip-format.js';

/** What the central directory says about one entry (raw, undecoded). */
export interface CentralRecord {
  readonly nameBytes: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly headerOffset: number;
}

export interface LocalHeader {
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly nameBytes: Buffer;
  readonly dataOffset: number;
}

type ReadRange = (start: number, length: number) => Promise<Buffer>;

/**
 * Reads the local header of `record` and checks it tells the same story as the central
 * directory: same name bytes, method and encryption, and (unless sizes are deferred to a data
 * descriptor, general purpose bit 3) same CRC-32 and sizes. Tools that extract by walking local
 * headers (streaming unzippers) and tools that read the central directory would otherwise see
 * two different archives, a known trick to smuggle content past a scanner.
 */
export async function readLocalHeader(
  read: ReadRange,
  record: CentralRecord,
  dataLimit: number,
  shownName: string,
): Promise<LocalHeader> {
  const fixed = await read(record.headerOffset, LOCAL_HEADER.fixedBytes);
  if (fixed.readUInt32LE(0) !== LOCAL_HEADER.signature) {
    throw new ArchiveRejected(
      'corrupt',
      `The archive was refused: the data of entry ${quoteEntry(shownName)} is not where the zip directory says it is.`,
      shownName,
    );
  }
  const nameLength = fixed.readUInt16LE(26);
  const extraLength = fixed.readUInt16LE(28);
  const variable = await read(record.headerOffset + LOCAL_HEADER.fixedBytes, nameLength + extraLength);
  const nameBytes = variable.subarray(0, nameLength);
  const extra = variable.subarray(nameLength);

  let compressedSize = fixed.readUInt32LE(18);
  let uncompressedSize = fixed.readUInt32LE(22);
  if (compressedSize === U32_MAX || uncompressedSize === U32_MAX) {
    // Zip64 local extra: both sizes, uncompressed first (APPNOTE 4.5.3).
    const zip64 = findExtra(extra, ZIP_EXTRA.zip64);
    if (zip64 && zip64.length >= 16) {
      uncompressedSize = readUInt64LE(zip64, 0);
      compressedSize = readUInt64LE(zip64, 8);
    }
  }
  const header: LocalHeader = {
    flags: fixed.readUInt16LE(6),
    method: fixed.readUInt16LE(8),
    crc32: fixed.readUInt32LE(14),
    compressedSize,
    uncompressedSize,
    nameBytes,
    dataOffset: record.headerOffset + LOCAL_HEADER.fixedBytes + nameLength + extraLength,
  };

  const mismatch = compareHeaders(record, header);
  if (mismatch) {
    throw new ArchiveRejected(
      'header_mismatch',
      `The archive was refused: for entry ${quoteEntry(shownName)} the zip's two copies of the header disagree (${mismatch}); different tools would extract different content.`,
      shownName,
    );
  }
  if (header.dataOffset + record.compressedSize > dataLimit) {
    throw new ArchiveRejected(
      'corrupt',
      `The archive was refused: the data of entry ${quoteEntry(shownName)} runs into the zip directory.`,
      shownName,
    );
  }
  return header;
}

/** The first field that differs, in words; undefined when the headers agree. */
export function compareHeaders(central: CentralRecord, local: LocalHeader): string | undefined {
  if (!central.nameBytes.equals(local.nameBytes)) return 'name';
  if (central.method !== local.method) return 'compression method';
  if ((central.flags & ZIP_FLAG.encrypted) !== (local.flags & ZIP_FLAG.encrypted)) return 'encryption';
  if ((local.flags & ZIP_FLAG.dataDescriptor) !== 0) return undefined;
  if (central.crc32 >>> 0 !== local.crc32 >>> 0) return 'CRC-32';
  if (central.compressedSize !== local.compressedSize) return 'compressed size';
  if (central.uncompressedSize !== local.uncompressedSize) return 'size';
  return undefined;
}

/** The data of the first extra field with `id`, if any. */
export function findExtra(extra: Buffer, id: number): Buffer | undefined {
  let at = 0;
  while (at + 4 <= extra.length) {
    const fieldId = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    const end = at + 4 + size;
    if (end > extra.length) return undefined;
    if (fieldId === id) return extra.subarray(at + 4, end);
    at = end;
  }
  return undefined;
}

function readUInt64LE(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + 4) * 2 ** 32 + buffer.readUInt32LE(offset);
}
