import { Readable } from 'node:stream';
import { Reader } from 'yauzl-promise';
import { ArchiveRejected } from './archive-rejected.js';
import type { RandomAccessSource } from './random-access-source.js';

export interface ZipSourceReaderOptions {
  /** Size of one cached block (one ranged request). Default 64 KiB. */
  readonly blockBytes?: number;
  /** Blocks kept (least recently used are dropped). Default 64, i.e. 4 MiB. */
  readonly cacheBlocks?: number;
}

const DEFAULT_BLOCK_BYTES = 64 * 1024;
const DEFAULT_CACHE_BLOCKS = 64;

/**
 * yauzl's Reader over a RandomAccessSource, with a small block cache.
 *
 * Why the cache: yauzl reads the central directory 46 bytes and then name+extra at a time, and
 * each local header 30 bytes at a time. Over the iRODS HTTP API every read is a request, so a
 * zip of 100 000 entries would cost 200 000 requests just to be listed. Aligned blocks turn that
 * into (central directory size / block size) requests, and the block holding a local header
 * usually holds the next few small entries as well. Entry data larger than a block is never
 * cached: it is streamed straight from the source.
 *
 * Errors thrown by the source are remembered (`isSourceError`) so that callers can let them
 * through untouched (an IrodsError is retryable; a corrupt zip is not).
 */
export class ZipSourceReader extends Reader {
  private readonly blockBytes: number;
  private readonly cacheBlocks: number;
  private readonly blocks = new Map<number, Promise<Buffer>>();
  private readonly sourceErrors = new WeakSet<object>();

  constructor(
    private readonly source: RandomAccessSource,
    private readonly signal: AbortSignal | undefined,
    options: ZipSourceReaderOptions = {},
  ) {
    super();
    this.blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.cacheBlocks = options.cacheBlocks ?? DEFAULT_CACHE_BLOCKS;
  }

  get size(): number {
    return this.source.size;
  }

  /** True when `err` came from the source (network, iRODS, abort), not from the zip's bytes. */
  isSourceError(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.sourceErrors.has(err);
  }

  /** Drops the cache (after close, or to free memory). */
  clear(): void {
    this.blocks.clear();
  }

  /** Exactly `length` bytes at `start`, through the cache when small. */
  async readRange(start: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    if (start < 0 || start + length > this.source.size) throw truncated();
    if (length > this.blockBytes * 2) return this.fetch(start, length);

    const first = Math.floor(start / this.blockBytes);
    const last = Math.floor((start + length - 1) / this.blockBytes);
    const parts: Promise<Buffer>[] = [];
    for (let block = first; block <= last; block++) parts.push(this.block(block));
    const buffers = await Promise.all(parts);
    const joined = buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers);
    const from = start - first * this.blockBytes;
    // A copy: callers (yauzl) may keep slices, and a cached block must not be pinned by them.
    return Buffer.from(joined.subarray(from, from + length));
  }

  /** Bytes [start, start + length) as a stream: small ranges from the cache, big ones straight from the source. */
  stream(start: number, length: number): Readable {
    if (length === 0) return Readable.from([], { objectMode: false });
    return this._createReadStream(start, length);
  }

  override _read(start: number, length: number): Promise<Buffer> {
    return this.readRange(start, length);
  }

  override _createReadStream(start: number, length: number): Readable {
    if (start < 0 || start + length > this.source.size) {
      // Past the end of the archive: the stream fails as a truncated archive, like readRange.
      return new Readable({
        read() {
          this.destroy(truncated());
        },
      });
    }
    if (length <= this.blockBytes) {
      // Small entries come from the cache: often the block fetched for the local header.
      const once = async function* (reader: ZipSourceReader): AsyncGenerator<Buffer> {
        yield await reader.readRange(start, length);
      };
      return Readable.from(once(this), { objectMode: false });
    }
    const stream = this.source.createReadStream(start, length, this.signal);
    stream.on('error', (err: unknown) => this.markSourceError(err));
    return stream;
  }

  private block(index: number): Promise<Buffer> {
    const cached = this.blocks.get(index);
    if (cached) {
      // Re-insert: Map order is the recency order of this small LRU.
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const start = index * this.blockBytes;
    const length = Math.min(this.blockBytes, this.source.size - start);
    const pending = this.fetch(start, length);
    this.blocks.set(index, pending);
    pending.catch(() => this.blocks.delete(index));
    while (this.blocks.size > this.cacheBlocks) {
      const oldest = this.blocks.keys().next().value;
      if (oldest === undefined) break;
      this.blocks.delete(oldest);
    }
    return pending;
  }

  private async fetch(start: number, length: number): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await this.source.read(start, length, this.signal);
    } catch (err) {
      this.markSourceError(err);
      throw err;
    }
    if (bytes.length !== length) throw truncated();
    return bytes;
  }

  private markSourceError(err: unknown): void {
    if (typeof err === 'object' && err !== null && !(err instanceof ArchiveRejected)) this.sourceErrors.add(err);
  }
}

function truncated(): ArchiveRejected {
  return new ArchiveRejected(
    'truncated',
    'The archive was refused: it ends before the data its directory points to; it was probably cut short during upload.',
  );
}
