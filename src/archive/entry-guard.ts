import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { formatBytes } from './format-bytes.js';

const FOUR_GIB = 2 ** 32;

/**
 * Bytes produced by all entries of one archive, against limits.maxTotalBytes. Counted per entry
 * as its high-water mark, so a zip entry opened twice (a retry) is not counted twice.
 */
export class ByteBudget {
  private total = 0;
  private readonly highWater = new Map<number, number>();

  constructor(readonly limit: number) {}

  /** Entry `key` has now produced `bytes` in all; false once the archive is over the limit. */
  advance(key: number, bytes: number): boolean {
    const previous = this.highWater.get(key) ?? 0;
    if (bytes > previous) {
      this.total += bytes - previous;
      this.highWater.set(key, bytes);
    }
    return this.total <= this.limit;
  }

  get used(): number {
    return this.total;
  }
}

export interface EntryGuardOptions {
  /** The entry's path, for messages. */
  readonly entry: string;
  readonly index: number;
  readonly declaredSize: number;
  /**
   * False only for zips from macOS Archive Utility above 4 GiB, whose headers keep the size
   * modulo 2^32: then the real size may be the declared one plus a multiple of 4 GiB.
   */
  readonly sizeIsCertain: boolean;
  readonly maxEntryBytes: number;
  readonly budget: ByteBudget;
  /** Zip: judge the expansion of this entry against its compressed size. */
  readonly ratio?: { readonly compressedSize: number; readonly maxRatio: number; readonly graceBytes: number };
  /** Zip: the CRC-32 the data must have. */
  readonly expectedCrc32?: number;
}

/**
 * The last stage of every entry stream: counts the bytes as they flow and fails the stream the
 * moment a limit is crossed or the data contradicts its header, so a lying header or a bomb
 * never gets further than one chunk past the limit.
 */
export class EntryGuard extends Transform {
  private produced = 0;
  private crc = 0;

  constructor(private readonly options: EntryGuardOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    const problem = this.checkRunning();
    if (problem) {
      callback(problem);
      return;
    }
    if (this.options.expectedCrc32 !== undefined) this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const o = this.options;
    const short = o.sizeIsCertain
      ? this.produced !== o.declaredSize
      : this.produced < o.declaredSize || (this.produced - o.declaredSize) % FOUR_GIB !== 0;
    if (short) {
      callback(
        new ArchiveRejected(
          'size_mismatch',
          `The archive was refused: entry ${quoteEntry(o.entry)} holds ${this.produced} bytes but its header declares ${o.declaredSize}; the archive is damaged or was altered.`,
          o.entry,
        ),
      );
      return;
    }
    if (o.expectedCrc32 !== undefined && this.crc >>> 0 !== o.expectedCrc32 >>> 0) {
      callback(
        new ArchiveRejected(
          'crc_mismatch',
          `The archive was refused: entry ${quoteEntry(o.entry)} is damaged (its CRC-32 check failed). Upload the archive again.`,
          o.entry,
        ),
      );
      return;
    }
    callback();
  }

  private checkRunning(): ArchiveRejected | undefined {
    const o = this.options;
    if (this.produced > o.maxEntryBytes) {
      return new ArchiveRejected(
        'too_large',
        `The archive was refused: entry ${quoteEntry(o.entry)} expands to more than ${formatBytes(o.maxEntryBytes)}, the largest file the agent accepts.`,
        o.entry,
      );
    }
    if (o.sizeIsCertain && this.produced > o.declaredSize) {
      return new ArchiveRejected(
        'size_mismatch',
        `The archive was refused: entry ${quoteEntry(o.entry)} holds more data than the ${o.declaredSize} bytes its header declares; the archive is damaged or crafted.`,
        o.entry,
      );
    }
    if (!o.budget.advance(o.index, this.produced)) {
      return new ArchiveRejected(
        'too_large',
        `The archive was refused: its content expands to more than ${formatBytes(o.budget.limit)} in total, the most the agent accepts for one archive.`,
        o.entry,
      );
    }
    const r = o.ratio;
    if (r && this.produced > r.graceBytes && this.produced > r.maxRatio * Math.max(1, r.compressedSize)) {
      return ratioRejection(o.entry, r.maxRatio);
    }
    return undefined;
  }
}

export function ratioRejection(entry: string | undefined, maxRatio: number): ArchiveRejected {
  const what = entry === undefined ? 'its content' : `entry ${quoteEntry(entry)}`;
  return new ArchiveRejected(
    'compression_ratio',
    `The archive was refused: ${what} expands more than ${maxRatio} times its compressed size, the pattern of a "zip bomb".`,
    entry,
  );
}
