import { createCipheriv, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsError } from '../../../src/irods/errors.js';
import type { IrodsClient, IrodsClientOptions } from '../../../src/irods/types.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { waitFor } from '../../support/wait.js';

const MiB = 1024 * 1024;

interface Sample {
  op: string;
  status: number;
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of the seed), produced piece by piece, never held whole. */
async function* generate(total: number, seed: string, pieceBytes = 300_001): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(pieceBytes);
  for (let sent = 0; sent < total; ) {
    const n = Math.min(pieceBytes, total - sent);
    sent += n;
    yield cipher.update(zeros.subarray(0, n));
    await Promise.resolve();
  }
}

async function sha256Of(source: AsyncIterable<Buffer | string>): Promise<{ hex: string; base64: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const p of source) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    h.update(b);
    bytes += b.length;
  }
  const digest = h.digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64'), bytes };
}

/** A source that yields `before` bytes, then waits for `gate` (or the signal) before the rest. */
async function* gated(total: number, before: number, gate: Promise<void>, seed: string): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const piece of generate(total, seed, 256 * 1024)) {
    if (sent >= before) await gate;
    sent += piece.length;
    yield piece;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('iRODS client: large, chunked and parallel writes', () => {
  let irods: IrodsForTest;
  let base: string;
  const tuning: Partial<IrodsClientOptions> = {
    maxBodyBytes: 1 * MiB,
    writeChunkBytes: 1 * MiB,
    parallelWriteThreshold: 4 * MiB,
    parallelWriteStreams: 3,
  };
  const clientWith = (samples: Sample[], extra: Partial<IrodsClientOptions> = {}): IrodsClient =>
    irods.clientFor('rods', 'rods', { ...tuning, onRequest: (s) => samples.push(s), ...extra });

  beforeAll(async () => {
    irods = await startIrodsForTest({ maxBodyBytes: 1 * MiB, maxParallelStreams: 3 });
    base = `${irods.home()}/large-test`;
    await irods.client.collections.create(base);
  });
  afterAll(async () => {
    await irods.close();
  });

  it('writes a 50 MiB object in chunks under the body limit and reads it back byte-exact', async () => {
    const samples: Sample[] = [];
    const client = clientWith(samples, { parallelWriteThreshold: 1024 * MiB });
    const lpath = `${base}/fifty.bin`;
    const size = 50 * MiB;
    const expected = await sha256Of(generate(size, 'fifty'));

    const progress: number[] = [];
    const result = await client.dataObjects.writeStream(lpath, generate(size, 'fifty'), {
      size,
      onProgress: (n) => progress.push(n),
    });
    expect(result).toEqual({ bytesWritten: size, parallel: false });
    expect(progress.at(-1)).toBe(size);
    const writes = samples.filter((s) => s.op === 'data-objects/write');
    expect(writes.length).toBe(Math.ceil(size / (1 * MiB - 16 * 1024)));
    expect(writes.every((s) => s.status === 200)).toBe(true);

    expect((await client.dataObjects.stat(lpath)).size).toBe(size);
    const actual = await sha256Of(await client.dataObjects.readStream(lpath));
    expect(actual).toEqual(expected);
    expect(await client.dataObjects.calculateChecksum(lpath)).toBe(`sha2:${expected.base64}`);
  });

  it('writes a big object in parallel over several streams and always shuts the handle down', async () => {
    const samples: Sample[] = [];
    const client = clientWith(samples);
    const lpath = `${base}/parallel.bin`;
    const size = 24 * MiB + 12_345;
    const result = await client.dataObjects.writeStream(lpath, generate(size, 'parallel'), { size });
    expect(result).toEqual({ bytesWritten: size, parallel: true });
    expect(samples.filter((s) => s.op === 'data-objects/parallel_write_init')).toHaveLength(1);
    expect(samples.filter((s) => s.op === 'data-objects/parallel_write_shutdown')).toHaveLength(1);
    expect(await sha256Of(await client.dataObjects.readStream(lpath))).toEqual(await sha256Of(generate(size, 'parallel')));
  });

  it('shuts an aborted parallel write down, releasing its streams for the next one', async () => {
    const samples: Sample[] = [];
    const client = clientWith(samples, { streamRetry: { retries: 0 } });
    const controller = new AbortController();
    const never = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    const size = 16 * MiB;
    const writing = client.dataObjects.writeStream(`${base}/aborted.bin`, gated(size, 3 * MiB, never, 'aborted'), {
      size,
      signal: controller.signal,
    });
    await waitFor('the parallel write to be under way', () =>
      samples.some((s) => s.op === 'data-objects/write' && s.status === 200),
    );
    controller.abort(new Error('job cancelled'));
    await expect(writing).rejects.toThrow('job cancelled');
    expect(samples.filter((s) => s.op === 'data-objects/parallel_write_shutdown')).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);

    // All three streams of the zone are free again: a parallel write without retries succeeds.
    const next = await client.dataObjects.writeStream(`${base}/after-abort.bin`, generate(size, 'after'), { size });
    expect(next.parallel).toBe(true);
  });

  it('retries parallel_write_init on 503 while the streams are taken, or fails clearly without retries', async () => {
    const holderSamples: Sample[] = [];
    const holder = clientWith(holderSamples);
    const gate = deferred();
    const size = 12 * MiB;
    const holding = holder.dataObjects.writeStream(`${base}/holder.bin`, gated(size, 2 * MiB, gate.promise, 'holder'), {
      size,
    });
    await waitFor('the first parallel write to hold every stream', () =>
      holderSamples.some((s) => s.op === 'data-objects/parallel_write_init' && s.status === 200),
    );

    const impatient = clientWith([], { streamRetry: { retries: 0 } });
    const refused = await impatient.dataObjects
      .writeStream(`${base}/refused.bin`, generate(size, 'refused'), { size })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(IrodsError);
    expect((refused as IrodsError).status).toBe(503);
    expect((refused as IrodsError).retryable).toBe(true);
    expect((refused as IrodsError).op).toBe('data-objects/parallel_write_init');

    const waiterSamples: Sample[] = [];
    const waiter = clientWith(waiterSamples, { streamRetry: { retries: 30, minTimeoutMs: 20, maxTimeoutMs: 100 } });
    const waiting = waiter.dataObjects.writeStream(`${base}/waiter.bin`, generate(size, 'waiter'), { size });
    await waitFor('the second write to be refused with 503', () =>
      waiterSamples.some((s) => s.op === 'data-objects/parallel_write_init' && s.status === 503),
    );
    gate.resolve();
    await holding;
    expect((await waiting).parallel).toBe(true);

    expect(await sha256Of(await waiter.dataObjects.readStream(`${base}/waiter.bin`))).toEqual(
      await sha256Of(generate(size, 'waiter')),
    );
    expect(await sha256Of(await holder.dataObjects.readStream(`${base}/holder.bin`))).toEqual(
      await sha256Of(gated(size, size, Promise.resolve(), 'holder')),
    );
  });

  it('keeps within the limits the server publishes even when configured above them', async () => {
    const samples: Sample[] = [];
    // Configured for a default server (8 MiB bodies, 6 streams); this one allows 1 MiB and 3 per handle.
    const client = clientWith(samples, { maxBodyBytes: 8 * MiB, writeChunkBytes: 4 * MiB, parallelWriteStreams: 6 });
    const size = 6 * MiB;
    const result = await client.dataObjects.writeStream(`${base}/adapted.bin`, generate(size, 'adapted'), { size });
    expect(result.parallel).toBe(true);
    expect(samples.filter((s) => s.op === 'data-objects/write').every((s) => s.status === 200)).toBe(true);
    expect(await sha256Of(await client.dataObjects.readStream(`${base}/adapted.bin`))).toEqual(await sha256Of(generate(size, 'adapted')));
  });

  it('refuses a single chunk larger than the body limit before sending it', async () => {
    const client = clientWith([]);
    const err = await client.dataObjects.writeChunk(`${base}/too-big.bin`, Buffer.alloc(2 * MiB)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IrodsError);
    expect((err as IrodsError).status).toBe(413);
  });

  it('resumes a stream write at an offset without truncating what is there', async () => {
    const client = clientWith([]);
    const lpath = `${base}/resumed.bin`;
    const size = 3 * MiB;
    const whole: Buffer[] = [];
    for await (const p of generate(size, 'resume')) whole.push(p);
    const data = Buffer.concat(whole);
    await client.dataObjects.writeStream(
      lpath,
      (async function* () {
        yield data.subarray(0, MiB + 7);
      })(),
    );
    await client.dataObjects.writeStream(
      lpath,
      (async function* () {
        yield data.subarray(MiB + 7);
      })(),
      { startOffset: MiB + 7, size },
    );
    expect((await client.dataObjects.read(lpath)).equals(data)).toBe(true);
  });
});
