import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { RandomAccessSource } from '../../../src/archive/index.js';
import { tarHeader } from './tar-crafter.js';

/**
 * Archives that are never held in memory: a RandomAccessSource whose bytes are computed from
 * their offset. Pseudo-random content is AES-128-CTR keystream (fast, and addressable at any
 * offset), so a 200 MiB archive costs a few buffers, not 200 MiB.
 */
export interface Segment {
  readonly length: number;
  /** Writes `length` bytes of this segment, starting at `from`, into `target` at `at`. */
  fill(target: Buffer, at: number, from: number, length: number): void;
}

export function bytesSegment(bytes: Buffer): Segment {
  return { length: bytes.length, fill: (target, at, from, length) => void bytes.copy(target, at, from, from + length) };
}

export function zeroSegment(length: number): Segment {
  return { length, fill: (target, at, _from, n) => void target.fill(0, at, at + n) };
}

const POOL_BYTES = 4 * 1024 * 1024;

/**
 * `length` pseudo-random bytes, the same for the same seed. A 4 MiB pool of AES-CTR keystream is
 * made once; page k of the content is that pool rotated by a per-page offset, so the content
 * never repeats within deflate's reach and costs a memcpy per byte.
 */
export function randomSegment(seed: string, length: number): Segment {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const pool = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(POOL_BYTES));
  return {
    length,
    fill(target, at, from, n) {
      let written = 0;
      while (written < n) {
        const pos = from + written;
        const page = Math.floor(pos / POOL_BYTES);
        const rotation = (page * 2654435761) % POOL_BYTES;
        const within = (pos - page * POOL_BYTES + rotation) % POOL_BYTES;
        const take = Math.min(n - written, POOL_BYTES - within, (page + 1) * POOL_BYTES - pos);
        pool.copy(target, at + written, within, within + take);
        written += take;
      }
    },
  };
}

const DEFLATE_STORED_BLOCK = 65535;

/**
 * `inner` as a raw deflate stream made of stored (uncompressed) blocks: valid deflate that any
 * inflater must decode, computed at any offset without compressing anything.
 */
export function deflateStoredSegment(inner: Segment): Segment {
  const blocks = Math.max(1, Math.ceil(inner.length / DEFLATE_STORED_BLOCK));
  const stride = DEFLATE_STORED_BLOCK + 5;
  const length = inner.length + 5 * blocks;
  return {
    length,
    fill(target, at, from, n) {
      let written = 0;
      while (written < n) {
        const pos = from + written;
        const block = Math.floor(pos / stride);
        const within = pos - block * stride;
        const dataStart = block * DEFLATE_STORED_BLOCK;
        const dataLength = Math.min(DEFLATE_STORED_BLOCK, inner.length - dataStart);
        if (within < 5) {
          const header = Buffer.alloc(5);
          header[0] = block === blocks - 1 ? 1 : 0;
          header.writeUInt16LE(dataLength, 1);
          header.writeUInt16LE(~dataLength & 0xffff, 3);
          const take = Math.min(5 - within, n - written);
          header.copy(target, at + written, within, within + take);
          written += take;
        } else {
          const take = Math.min(dataLength - (within - 5), n - written);
          inner.fill(target, at + written, dataStart + within - 5, take);
          written += take;
        }
      }
    },
  };
}

/** The CRC-32 of a segment, computed by streaming through it (1 MiB at a time). */
export function segmentCrc32(segment: Segment): number {
  let crc = 0;
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  for (let at = 0; at < segment.length; at += chunk.length) {
    const n = Math.min(chunk.length, segment.length - at);
    segment.fill(chunk, 0, at, n);
    crc = crc32(chunk.subarray(0, n), crc);
  }
  return crc >>> 0;
}

/** Segments laid end to end, as one source. */
export class GeneratedSource implements RandomAccessSource {
  readonly size: number;
  private readonly starts: number[] = [];

  constructor(private readonly segments: readonly Segment[]) {
    let at = 0;
    for (const segment of segments) {
      this.starts.push(at);
      at += segment.length;
    }
    this.size = at;
  }

  /** The source as one segment (to wrap it, e.g. in gzip). */
  asSegment(): Segment {
    return { length: this.size, fill: (target, at, from, n) => this.fillRange(target, at, from, n) };
  }

  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(n);
    this.fillRange(buffer, 0, offset, n);
    return Promise.resolve(buffer);
  }

  createReadStream(offset: number, length: number, signal?: AbortSignal): Readable {
    const end = Math.min(this.size, offset + length);
    const fill = (target: Buffer, from: number, n: number): void => this.fillRange(target, 0, from, n);
    let position = offset;
    return new Readable({
      highWaterMark: 256 * 1024,
      signal,
      read(): void {
        if (position >= end) {
          this.push(null);
          return;
        }
        const n = Math.min(256 * 1024, end - position);
        const chunk = Buffer.allocUnsafe(n);
        fill(chunk, position, n);
        position += n;
        this.push(chunk);
      },
    });
  }

  private fillRange(target: Buffer, at: number, from: number, n: number): void {
    let written = 0;
    let index = this.segmentAt(from);
    while (written < n && index < this.segments.length) {
      const segment = this.segments[index] as Segment;
      const start = this.starts[index] as number;
      const within = from + written - start;
      const take = Math.min(segment.length - within, n - written);
      if (take > 0) segment.fill(target, at + written, within, take);
      written += Math.max(0, take);
      index++;
    }
  }

  private segmentAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** A file of a generated archive: `size` pseudo-random bytes named `name` (at most 100 bytes). */
export interface GeneratedEntry {
  readonly name: string;
  readonly size: number;
  /** Zip only: stored as is, or deflated (as stored deflate blocks). Default store. */
  readonly method?: 'store' | 'deflate';
}

function entryData(entry: GeneratedEntry): Segment {
  return randomSegment(`generated:${entry.name}`, entry.size);
}

/** A ustar archive of the entries, generated on the fly. */
export function generatedTar(entries: readonly GeneratedEntry[]): GeneratedSource {
  return new GeneratedSource(tarSegments(entries));
}

function tarSegments(entries: readonly GeneratedEntry[]): Segment[] {
  const segments: Segment[] = [];
  for (const entry of entries) {
    segments.push(bytesSegment(tarHeader({ name: entry.name, size: entry.size })));
    segments.push(entryData(entry));
    const pad = (512 - (entry.size % 512)) % 512;
    if (pad) segments.push(zeroSegment(pad));
  }
  segments.push(zeroSegment(1024));
  return segments;
}

/** The same tar, gzip-compressed with stored deflate blocks (CRC computed in one streaming pass). */
export function generatedTarGz(entries: readonly GeneratedEntry[]): GeneratedSource {
  const tar = new GeneratedSource(tarSegments(entries)).asSegment();
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(segmentCrc32(tar), 0);
  trailer.writeUInt32LE(tar.length % 2 ** 32, 4);
  return new GeneratedSource([bytesSegment(header), deflateStoredSegment(tar), bytesSegment(trailer)]);
}

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/**
 * A zip of the entries (CRCs computed in one streaming pass each), generated on the fly. Zip64
 * records are written where a field outgrows its 16 or 32 bits (entries of 4 GiB or more, offsets
 * past 4 GiB, 65,535 entries or more), as Python's zipfile (so `omero transfer pack`) does.
 */
export function generatedZip(entries: readonly GeneratedEntry[]): GeneratedSource {
  const segments: Segment[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = entryData(entry);
    const crc = segmentCrc32(data);
    const method = entry.method === 'deflate' ? 8 : 0;
    const stored = method === 8 ? deflateStoredSegment(data) : data;
    const name = Buffer.from(entry.name);
    const fields = { method, crc, compressedSize: stored.length, size: entry.size, name };
    const local = zipHeader('local', fields, 0);
    central.push(zipHeader('central', fields, offset));
    segments.push(bytesSegment(local), stored);
    offset += local.length + stored.length;
  }
  const directory = Buffer.concat(central);
  segments.push(bytesSegment(directory), bytesSegment(endRecords(entries.length, directory.length, offset)));
  return new GeneratedSource(segments);
}

/** The end of a zip: the end record, preceded by the zip64 end record and locator when needed. */
function endRecords(entryCount: number, directoryBytes: number, directoryOffset: number): Buffer {
  if (entryCount < U16_MAX && directoryBytes < U32_MAX && directoryOffset < U32_MAX) {
    return endOfCentralDirectory(entryCount, directoryBytes, directoryOffset);
  }
  const zip64End = Buffer.alloc(56);
  zip64End.writeUInt32LE(0x06064b50, 0);
  zip64End.writeBigUInt64LE(44n, 4); // the size of the rest of this record
  zip64End.writeUInt16LE(0x032d, 12); // made by: Unix, 4.5
  zip64End.writeUInt16LE(45, 14); // needed: 4.5 (zip64)
  zip64End.writeBigUInt64LE(BigInt(entryCount), 24);
  zip64End.writeBigUInt64LE(BigInt(entryCount), 32);
  zip64End.writeBigUInt64LE(BigInt(directoryBytes), 40);
  zip64End.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(directoryOffset + directoryBytes), 8);
  locator.writeUInt32LE(1, 16); // total number of disks
  const end = endOfCentralDirectory(Math.min(entryCount, U16_MAX), Math.min(directoryBytes, U32_MAX), Math.min(directoryOffset, U32_MAX));
  return Buffer.concat([zip64End, locator, end]);
}

/** A zip's end record (no comment): entry count, directory size and offset. */
export function endOfCentralDirectory(entryCount: number, directoryBytes: number, directoryOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entryCount, 8);
  end.writeUInt16LE(entryCount, 10);
  end.writeUInt32LE(directoryBytes, 12);
  end.writeUInt32LE(directoryOffset, 16);
  return end;
}

interface ZipFields {
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly name: Buffer;
}

/** A zip64 extended information field (tag 0x0001) holding `values`, 8 bytes each. */
function zip64Extra(values: readonly number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
  return extra;
}

function zipHeader(kind: 'local' | 'central', f: ZipFields, headerOffset: number): Buffer {
  const local = kind === 'local';
  // A local header's zip64 field holds both sizes or is absent (APPNOTE 4.5.3), and then both
  // size fields say 0xffffffff; a central header's holds only the values that overflowed.
  const zip64Values = local
    ? f.size >= U32_MAX || f.compressedSize >= U32_MAX
      ? [f.size, f.compressedSize]
      : []
    : [f.size, f.compressedSize, headerOffset].filter((value) => value >= U32_MAX);
  const extra = zip64Values.length > 0 ? zip64Extra(zip64Values) : Buffer.alloc(0);
  const sizeField = (value: number): number => (local && extra.length > 0 ? U32_MAX : Math.min(value, U32_MAX));
  const b = Buffer.alloc(local ? 30 : 46);
  let at = 0;
  const u16 = (v: number): void => void (at = b.writeUInt16LE(v, at));
  const u32 = (v: number): void => void (at = b.writeUInt32LE(v >>> 0, at));
  u32(local ? 0x04034b50 : 0x02014b50);
  if (!local) u16(0x031e);
  u16(extra.length > 0 ? 45 : 20);
  u16(0);
  u16(f.method);
  u16(0);
  u16(0x5821);
  u32(f.crc);
  u32(sizeField(f.compressedSize));
  u32(sizeField(f.size));
  u16(f.name.length);
  u16(extra.length);
  if (!local) {
    u16(0);
    u16(0);
    u16(0);
    u32((0o100644 << 16) >>> 0);
    u32(Math.min(headerOffset, U32_MAX));
  }
  return Buffer.concat([b, f.name, extra]);
}
