import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { RandomAccessSource } from '../../../src/archive/index.js';

export interface RangedRequest {
  readonly kind: 'read' | 'stream';
  readonly offset: number;
  readonly length: number;
}

export interface RangedStats {
  /** Every request, in the order it was made (a stream makes one per chunk). */
  readonly requests: RangedRequest[];
  /** Bytes returned by all requests. */
  bytesFetched: number;
  /** Streams opened by createReadStream. */
  streamsOpened: number;
}

export interface SimulatedRangedSource extends RandomAccessSource {
  readonly stats: RangedStats;
}

/**
 * Wraps a source to behave like the iRODS HTTP API's ranged reads: every read is one request
 * that takes `latencyMs`, and a stream fetches `chunkBytes` per request. Counts everything, so a
 * test can show what a reader really asked for.
 */
export function simulatedRangedSource(
  inner: RandomAccessSource,
  options: { latencyMs?: number; chunkBytes?: number } = {},
): SimulatedRangedSource {
  const latencyMs = options.latencyMs ?? 2;
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const stats: RangedStats = { requests: [], bytesFetched: 0, streamsOpened: 0 };

  async function request(kind: 'read' | 'stream', offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    stats.requests.push({ kind, offset, length });
    await delay(latencyMs, undefined, { signal });
    const bytes = await inner.read(offset, length, signal);
    stats.bytesFetched += bytes.length;
    return bytes;
  }

  return {
    size: inner.size,
    stats,
    read: (offset, length, signal) => request('read', offset, length, signal),
    createReadStream(offset, length, signal) {
      stats.streamsOpened += 1;
      const end = Math.min(inner.size, offset + length);
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let at = offset; at < end; at += chunkBytes) {
          yield await request('stream', at, Math.min(chunkBytes, end - at), signal);
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },
  };
}
