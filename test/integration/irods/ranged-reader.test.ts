import { createCipheriv, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as yauzl from 'yauzl-promise';
import type { RangedReader } from '../../../src/irods/types.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

const MiB = 1024 * 1024;
const FIXTURE = '/work/shared/fixtures/omero-cli-transfer/valid_single_dataset.zip';

function pseudoRandom(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

interface Sample {
  op: string;
}

describe('iRODS client: ranged reader', () => {
  let irods: IrodsForTest;
  let base: string;
  const size = 5 * MiB + 321;
  const data = pseudoRandom(size, 'ranged');

  beforeAll(async () => {
    irods = await startIrodsForTest({ maxBodyBytes: 2 * MiB });
    base = `${irods.home()}/ranged-test`;
    await irods.client.collections.create(base);
    const writer = irods.clientFor('rods', 'rods', { maxBodyBytes: 2 * MiB, writeChunkBytes: MiB });
    await writer.dataObjects.writeStream(`${base}/data.bin`, (async function* () {
      yield data;
    })());
  });
  afterAll(async () => {
    await irods.close();
  });

  it('reads random ranges byte-exact', async () => {
    const reader = await irods.client.dataObjects.openRanged(`${base}/data.bin`, { readAheadBytes: 256 * 1024 });
    expect(reader.size).toBe(size);
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const offset = seed % size;
      const length = (seed >> 3) % 70_000;
      const got = await reader.read(offset, length);
      expect(got.equals(data.subarray(offset, Math.min(size, offset + length)))).toBe(true);
    }
  });

  it('serves reads near the end from one read-ahead request', async () => {
    const samples: Sample[] = [];
    const client = irods.clientFor('rods', 'rods', { onRequest: (s) => samples.push(s) });
    const reader = await client.dataObjects.openRanged(`${base}/data.bin`, { size, readAheadBytes: MiB });
    const tail = size - 200_000;
    for (let off = tail; off < size; off += 997) {
      expect((await reader.read(off, 46)).equals(data.subarray(off, Math.min(size, off + 46)))).toBe(true);
    }
    expect(samples.filter((s) => s.op === 'data-objects/read')).toHaveLength(1);
  });

  it('streams a long sequential range byte-exact', async () => {
    const reader: RangedReader = await irods.client.dataObjects.openRanged(`${base}/data.bin`, { readAheadBytes: 512 * 1024 });
    const got = await drain(reader.createReadStream(12_345, 4 * MiB));
    expect(got.equals(data.subarray(12_345, 12_345 + 4 * MiB))).toBe(true);
    const rest = await drain(reader.createReadStream(size - 1000, 5000));
    expect(rest.equals(data.subarray(size - 1000))).toBe(true);
  });

  it('lets yauzl list and extract a transfer archive straight out of iRODS', async () => {
    const zip = await readFile(FIXTURE);
    const lpath = `${base}/valid_single_dataset.zip`;
    await irods.client.dataObjects.writeChunk(lpath, zip);
    const ranged = await irods.client.dataObjects.openRanged(lpath, { readAheadBytes: 64 * 1024 });

    class IrodsZipReader extends yauzl.Reader {
      override _read(start: number, length: number): Promise<Buffer> {
        return ranged.read(start, length);
      }
      override _createReadStream(start: number, length: number): Readable {
        return ranged.createReadStream(start, length);
      }
    }
    const fromIrods = await yauzl.fromReader(new IrodsZipReader(), ranged.size);
    const local = await yauzl.fromBuffer(zip);
    try {
      const expected = new Map<string, string>();
      for await (const entry of local) {
        if (entry.filename.endsWith('/')) continue;
        expected.set(entry.filename, createHash('sha256').update(await drain(await entry.openReadStream())).digest('hex'));
      }
      const actual = new Map<string, string>();
      for await (const entry of fromIrods) {
        if (entry.filename.endsWith('/')) continue;
        actual.set(entry.filename, createHash('sha256').update(await drain(await entry.openReadStream())).digest('hex'));
      }
      expect(actual.size).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    } finally {
      await fromIrods.close();
      await local.close();
    }
  });
});
