import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ObjectRangedReader, planSegments, planWindow, type RangeFetch } from '../../../src/irods/ranged-reader.js';

function object(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Ranged reads over an in-memory object, counting requests and the largest one in flight at once. */
function source(data: Buffer) {
  const requests: { offset: number; length: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch: RangeFetch = async (offset, length) => {
    requests.push({ offset, length });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return [Buffer.from(data.subarray(offset, offset + length))];
  };
  return { fetch, requests, maxInFlight: () => maxInFlight };
}

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

describe('planning', () => {
  it('widens a small read to the read-ahead window, clamped to the object', () => {
    expect(planWindow(100, 30, 10_000, 4096)).toEqual({ start: 100, end: 4196 });
    expect(planWindow(9_990, 30, 10_000, 4096)).toEqual({ start: 9_990, end: 10_000 });
    expect(planWindow(0, 8192, 10_000, 4096)).toEqual({ start: 0, end: 8192 });
  });

  it('splits a range into consecutive segments', () => {
    expect(planSegments(10, 25, 1000, 10)).toEqual([
      { offset: 10, length: 10 },
      { offset: 20, length: 10 },
      { offset: 30, length: 5 },
    ]);
    expect(planSegments(990, 100, 1000, 64)).toEqual([{ offset: 990, length: 10 }]);
  });
});

describe('ObjectRangedReader', () => {
  const size = 300_000;
  const data = object(size);

  it('serves the small reads of a zip directory near the end from one read-ahead request', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a.zip', size, s.fetch, { readAheadBytes: 64 * 1024 });
    const eocd = await reader.read(size - 22, 22);
    expect(eocd.equals(data.subarray(size - 22))).toBe(true);
    // The central directory sits just before: one wider read, then many small ones inside it.
    const cdStart = size - 40_000;
    await reader.read(cdStart, 46);
    for (let off = cdStart; off < size - 100; off += 500) {
      const got = await reader.read(off, 46);
      expect(got.equals(data.subarray(off, off + 46))).toBe(true);
    }
    expect(s.requests).toHaveLength(2);
  });

  it('returns fewer bytes only at the end of the object, and none past it', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 0 });
    expect((await reader.read(size - 10, 100)).length).toBe(10);
    expect((await reader.read(size + 5, 10)).length).toBe(0);
    expect((await reader.read(0, 0)).length).toBe(0);
  });

  it('asks again when an answer comes up short before the end', async () => {
    const calls: number[] = [];
    const stingy: RangeFetch = (offset, length) => {
      calls.push(offset);
      return Promise.resolve([Buffer.from(data.subarray(offset, offset + Math.min(length, 1000)))]);
    };
    const reader = new ObjectRangedReader('/z/a', size, stingy, { readAheadBytes: 0 });
    const got = await reader.read(5000, 3500);
    expect(got.equals(data.subarray(5000, 8500))).toBe(true);
    expect(calls).toEqual([5000, 6000, 7000, 8000]);
  });

  it('streams a long range byte-exact in segments with a bounded prefetch', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 64 * 1024 });
    const got = await drain(reader.createReadStream(1234, 250_000));
    expect(createHash('sha256').update(got).digest('hex')).toBe(
      createHash('sha256').update(data.subarray(1234, 251_234)).digest('hex'),
    );
    expect(s.requests.every((r) => r.length <= 64 * 1024)).toBe(true);
    expect(s.maxInFlight()).toBe(4);
  });

  it('shares the prefetch between the long streams open at once (two big zip entries: half each)', async () => {
    // Requests that never answer: what is in flight is what each stream asked for up front.
    const asked: number[] = [];
    const pending: RangeFetch = (offset) => {
      asked.push(offset);
      return new Promise(() => undefined);
    };
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    const segment = 64 * 1024;
    const reader = new ObjectRangedReader('/z/a', size, pending, { readAheadBytes: segment });
    const a = reader.createReadStream(0, 140_000);
    const b = reader.createReadStream(150_000, 140_000);
    // A short stream (one segment) takes no share.
    const short = reader.createReadStream(295_000, 1000);
    for (const s of [a, b, short]) s.resume();
    await settle();
    expect(asked.filter((o) => o < 150_000)).toEqual([0, segment]);
    expect(asked.filter((o) => o >= 150_000 && o < 295_000)).toEqual([150_000, 150_000 + segment]);
    expect(asked).toContain(295_000);
    for (const s of [a, b, short]) s.destroy();

    // Alone, a stream gets the whole budget.
    asked.length = 0;
    const alone = new ObjectRangedReader('/z/a', size, pending, { readAheadBytes: segment }).createReadStream(0, size);
    alone.resume();
    await settle();
    expect(asked).toEqual([0, segment, 2 * segment, 3 * segment]);
    alone.destroy();
  });

  it('streams segments in the pieces they arrived in, asking again for a short answer', async () => {
    const calls: { offset: number; length: number }[] = [];
    // Answers in 1000-byte pieces, and at most 10 pieces: a 64 KiB segment takes several requests.
    const pieces: RangeFetch = (offset, length) => {
      calls.push({ offset, length });
      const out: Buffer[] = [];
      for (let at = offset; at < Math.min(size, offset + length) && out.length < 10; at += 1000) {
        out.push(data.subarray(at, Math.min(at + 1000, offset + length, size)));
      }
      return Promise.resolve(out);
    };
    const reader = new ObjectRangedReader('/z/a', size, pieces, { readAheadBytes: 64 * 1024 });
    const stream = reader.createReadStream(500, 100_000);
    // 'data' events, as a pipe sees them (an async iterator would join what is buffered).
    const seen: Buffer[] = [];
    stream.on('data', (p: Buffer) => seen.push(p));
    await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
    expect(Buffer.concat(seen).equals(data.subarray(500, 100_500))).toBe(true);
    // Passed on as they came: no piece is bigger than what the fetch returned.
    expect(seen.every((p) => p.length <= 1000)).toBe(true);
    expect(calls).toContainEqual({ offset: 10_500, length: 64 * 1024 - 10_000 });
  });

  it('fails a stream whose object ends before the range does', async () => {
    const short: RangeFetch = (offset, length) => Promise.resolve(offset >= 1000 ? [] : [data.subarray(offset, Math.min(1000, offset + length))]);
    const reader = new ObjectRangedReader('/z/a', size, short, { readAheadBytes: 64 * 1024 });
    await expect(drain(reader.createReadStream(0, 5000))).rejects.toThrow(/ended at 1000, before the 5000 bytes expected/);
  });

  it('starts a stream from a cached block (local header then entry data)', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 64 * 1024 });
    await reader.read(1000, 30);
    const got = await drain(reader.createReadStream(1030, 100_000));
    expect(got.equals(data.subarray(1030, 101_030))).toBe(true);
    expect(s.requests[1]?.offset).toBe(1000 + 64 * 1024);
  });

  it('stops fetching when the consumer destroys the stream', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 64 * 1024 });
    const stream = reader.createReadStream(0, size);
    const closed = new Promise((r) => stream.once('close', r));
    for await (const _ of stream) break;
    await closed;
    const seen = s.requests.length;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(s.requests.length).toBe(seen);
    // The prefetch of four, and the one that replaced the segment consumed.
    expect(seen).toBeLessThanOrEqual(5);
  });

  it('closes at once when destroyed while a segment is still on its way, and aborts that request', async () => {
    const data2 = object(300 * 1024);
    const aborted: number[] = [];
    // The first segment comes at once; every later one only ends when its request is aborted.
    const fetch: RangeFetch = (offset, length, signal) =>
      offset === 0
        ? Promise.resolve([Buffer.from(data2.subarray(offset, offset + length))])
        : new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted.push(offset);
              reject(signal.reason as Error);
            });
          });
    const reader = new ObjectRangedReader('/z/a', data2.length, fetch, { readAheadBytes: 64 * 1024 });
    const stream = reader.createReadStream(0, data2.length);
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.equals(data2.subarray(0, first.length))).toBe(true);
    stream.pause();
    // Let the stream ask for the next segment, which never comes by itself.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    stream.destroy();
    await new Promise((r) => stream.once('close', r));
    expect(aborted.length).toBeGreaterThan(0);
  });

  it('fails the stream when the object ends before the promised size', async () => {
    const s = source(data.subarray(0, 1000));
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 0 });
    await expect(drain(reader.createReadStream(0, 5000))).rejects.toThrow(/ended at 1000/);
  });

  it('ends a stream through an abort signal', async () => {
    const s = source(data);
    const reader = new ObjectRangedReader('/z/a', size, s.fetch, { readAheadBytes: 64 * 1024 });
    const controller = new AbortController();
    const stream = reader.createReadStream(0, size, controller.signal);
    controller.abort();
    await expect(drain(stream)).rejects.toThrow(/abort/i);
  });
});
