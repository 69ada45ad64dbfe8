import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunkLength, joinChunk, type ByteChunk } from '../../../src/irods/byte-chunk.js';
import { rechunk, writeSequential } from '../../../src/irods/chunked-write.js';
import { effectiveChunkBytes, shouldWriteInParallel } from '../../../src/irods/data-objects.js';

async function collect(gen: AsyncIterable<ByteChunk>): Promise<ByteChunk[]> {
  const out: ByteChunk[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

function bytes(n: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
}

describe('rechunk', () => {
  it('cuts uneven input into equal chunks with a shorter last one, byte-exact', async () => {
    const data = bytes(1000);
    const pieces = [data.subarray(0, 7), data.subarray(7, 300), data.subarray(300, 301), data.subarray(301)];
    const chunks = await collect(rechunk(Readable.from(pieces), 128));
    expect(chunks.map(chunkLength)).toEqual([128, 128, 128, 128, 128, 128, 128, 104]);
    expect(Buffer.concat(chunks.map(joinChunk)).equals(data)).toBe(true);
  });

  it('copies nothing: a chunk spanning several inputs is the list of their parts', async () => {
    const data = bytes(300);
    const pieces = [data.subarray(0, 100), data.subarray(100, 300)];
    const chunks = await collect(rechunk(pieces, 150));
    expect(chunks).toHaveLength(2);
    const [first, second] = chunks as [ByteChunk, ByteChunk];
    expect(Buffer.isBuffer(first)).toBe(false);
    for (const part of [first, second].flat()) expect(part.buffer).toBe(data.buffer);
    expect(Buffer.concat([joinChunk(first), joinChunk(second)]).equals(data)).toBe(true);
  });

  it('passes through input that already has the chunk size', async () => {
    const a = bytes(64, 1);
    const chunks = await collect(rechunk([a], 64));
    expect(chunks[0]).toBeInstanceOf(Buffer);
    expect((chunks[0] as Buffer).buffer).toBe(a.buffer);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect(rechunk([], 10))).toEqual([]);
  });

  it('refuses a non-positive chunk size', async () => {
    await expect(collect(rechunk([bytes(3)], 0))).rejects.toThrow(RangeError);
  });
});

describe('writeSequential', () => {
  it('truncates only with the first chunk of a new content and advances the offset', async () => {
    const calls: { offset: number; truncate: boolean; length: number }[] = [];
    const progress: number[] = [];
    const written = await writeSequential(
      (data, offset, truncate) => {
        calls.push({ offset, truncate, length: chunkLength(data) });
        return Promise.resolve();
      },
      rechunk([bytes(250)], 100),
      { startOffset: 0, onProgress: (n) => progress.push(n) },
    );
    expect(written).toBe(250);
    expect(calls).toEqual([
      { offset: 0, truncate: true, length: 100 },
      { offset: 100, truncate: false, length: 100 },
      { offset: 200, truncate: false, length: 50 },
    ]);
    expect(progress).toEqual([100, 200, 250]);
  });

  it('never truncates when resuming at an offset', async () => {
    const calls: { offset: number; truncate: boolean }[] = [];
    await writeSequential(
      (_d, offset, truncate) => {
        calls.push({ offset, truncate });
        return Promise.resolve();
      },
      rechunk([bytes(150)], 100),
      { startOffset: 1000 },
    );
    expect(calls).toEqual([
      { offset: 1000, truncate: false },
      { offset: 1100, truncate: false },
    ]);
  });

  it('creates an empty object for an empty source', async () => {
    const calls: { offset: number; truncate: boolean; length: number }[] = [];
    await writeSequential(
      (data, offset, truncate) => {
        calls.push({ offset, truncate, length: chunkLength(data) });
        return Promise.resolve();
      },
      rechunk([], 100),
      { startOffset: 0 },
    );
    expect(calls).toEqual([{ offset: 0, truncate: true, length: 0 }]);
  });

  it('stops at the first failed chunk', async () => {
    let n = 0;
    await expect(
      writeSequential(
        () => (++n === 2 ? Promise.reject(new Error('boom')) : Promise.resolve()),
        rechunk([bytes(500)], 100),
        { startOffset: 0 },
      ),
    ).rejects.toThrow('boom');
    expect(n).toBe(2);
  });
});

describe('write planning', () => {
  it('keeps chunks under the body limit with room for a multipart envelope', () => {
    expect(effectiveChunkBytes(4 << 20, 8 << 20)).toBe(4 << 20);
    expect(effectiveChunkBytes(8 << 20, 8 << 20)).toBe((8 << 20) - 16 * 1024);
  });

  it('writes in parallel only for known sizes at or above the threshold (counting from the resume point)', () => {
    expect(shouldWriteInParallel(undefined, 0, 10)).toBe(false);
    expect(shouldWriteInParallel(10, 0, 10)).toBe(true);
    expect(shouldWriteInParallel(9, 0, 10)).toBe(false);
    expect(shouldWriteInParallel(100, 95, 10)).toBe(false);
  });
});
