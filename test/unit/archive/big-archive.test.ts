import v8 from 'node:v8';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openArchive, type ArchiveFormat, type RandomAccessSource } from '../../../src/archive/index.js';
import {
  generatedTar,
  generatedTarGz,
  generatedZip,
  randomSegment,
  simulatedRangedSource,
  type GeneratedEntry,
} from '../../support/archives/index.js';
import { LIMITS } from './read-outcome.js';

const MiB = 1024 * 1024;
const ENTRIES: GeneratedEntry[] = [
  { name: 'root_0/2024-01/02/03-04-05.678/plate-A1.ome.tiff', size: 60 * MiB, method: 'deflate' },
  { name: 'root_0/2024-01/02/03-04-05.678/plate-A2.ome.tiff', size: 60 * MiB, method: 'store' },
  { name: 'pixel_images/52.tiff', size: 50 * MiB + 12_345, method: 'deflate' },
  { name: 'pixel_images/53.tiff', size: 30 * MiB + 1, method: 'store' },
];
const TOTAL = ENTRIES.reduce((sum, e) => sum + e.size, 0);

// Garbage is collected before each sample, so the figure is what the reader holds on to, not
// what the collector has not got round to yet (that varies with the machine's load).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Live heap plus Buffers: what reading the archive costs in memory. */
function memory(): number {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const digests = new Map<string, number>();

/** The CRC-32 of what the generator produces for an entry, computed once without holding it. */
function expectedDigest(entry: GeneratedEntry): number {
  const known = digests.get(entry.name);
  if (known !== undefined) return known;
  const segment = randomSegment(`generated:${entry.name}`, entry.size);
  let digest = 0;
  const chunk = Buffer.allocUnsafe(MiB);
  for (let at = 0; at < entry.size; at += MiB) {
    const n = Math.min(MiB, entry.size - at);
    segment.fill(chunk, 0, at, n);
    digest = crc32(chunk.subarray(0, n), digest);
  }
  digests.set(entry.name, digest);
  return digest;
}

async function readWithBoundedMemory(source: RandomAccessSource, format: ArchiveFormat): Promise<void> {
  expect(source.size).toBeGreaterThan(200 * MiB);
  const baseline = memory();
  let peak = 0;
  const digests: Record<string, number> = {};
  const reader = await openArchive(source, format, LIMITS);
  for await (const entry of reader) {
    let digest = 0;
    let n = 0;
    for await (const chunk of await entry.open()) {
      digest = crc32(chunk as Buffer, digest);
      n += (chunk as Buffer).length;
      if (n % (8 * MiB) < (chunk as Buffer).length) peak = Math.max(peak, memory() - baseline);
    }
    expect(n).toBe(entry.size);
    digests[entry.path] = digest;
  }
  await reader.close();
  for (const entry of ENTRIES) expect(digests[entry.name]).toBe(expectedDigest(entry));
  // Far below the archive: a few read-ahead and inflate buffers, not the data.
  expect(peak).toBeLessThan(48 * MiB);
}

describe('a 200 MiB archive streamed from a generator (never held in memory)', () => {
  it('reads a zip (stored and deflated entries) with bounded memory', { timeout: 60_000 }, async () => {
    await readWithBoundedMemory(generatedZip(ENTRIES), 'zip');
  });

  it('reads a tar with bounded memory', { timeout: 60_000 }, async () => {
    expect(generatedTar(ENTRIES).size).toBeGreaterThan(TOTAL);
    await readWithBoundedMemory(generatedTar(ENTRIES), 'tar');
  });

  it('reads a tar.gz with bounded memory', { timeout: 60_000 }, async () => {
    await readWithBoundedMemory(generatedTarGz(ENTRIES), 'tar.gz');
  });
});

describe('a zip64 archive past 4 GiB (generated, never held in memory)', () => {
  const GiB = 1024 * MiB;
  const big: GeneratedEntry = { name: 'root_0/plate.ome.zarr.tiff', size: 4 * GiB + 1, method: 'store' };
  const after: GeneratedEntry = { name: 'transfer.xml', size: 12_345, method: 'store' };
  const limits = { ...LIMITS, maxTotalBytes: 8 * GiB, maxEntryBytes: 8 * GiB };

  // Sizes of 4 GiB and more and offsets past 4 GiB only fit in zip64 fields: Python's zipfile
  // (so `omero transfer pack`) writes them for every archive that big.
  it('lists it from the zip64 records and reads entries on both sides of the 4 GiB mark', { timeout: 60_000 }, async () => {
    const source = generatedZip([big, after]);
    expect(source.size).toBeGreaterThan(4 * GiB);
    const reader = await openArchive(source, 'zip', limits);
    expect(reader.format).toBe('zip');
    if (reader.format !== 'zip') return;
    expect(reader.listing).toMatchObject({ isZip64: true, fileCount: 2, totalDeclaredBytes: big.size + after.size });
    const seen: Record<string, number> = {};
    for await (const entry of reader) {
      seen[entry.path] = entry.size;
      if (entry.path === big.name) {
        // The head is enough here: its local header (zip64 sizes) is checked before any byte.
        const chunks = (await entry.open())[Symbol.asyncIterator]();
        const first = await chunks.next();
        const expected = Buffer.alloc((first.value as Buffer).length);
        randomSegment(`generated:${big.name}`, big.size).fill(expected, 0, 0, expected.length);
        expect((first.value as Buffer).equals(expected)).toBe(true);
        await chunks.return?.();
      } else {
        let digest = 0;
        for await (const chunk of await entry.open()) digest = crc32(chunk as Buffer, digest);
        expect(digest).toBe(expectedDigest(after));
      }
    }
    await reader.close();
    expect(seen).toEqual({ [big.name]: big.size, [after.name]: after.size });
  });
});

describe('backpressure', () => {
  it.each([
    ['zip', () => generatedZip(ENTRIES.slice(0, 1))],
    ['tar', () => generatedTar(ENTRIES.slice(0, 1))],
    ['tar.gz', () => generatedTarGz(ENTRIES.slice(0, 1))],
  ] as const)('reads a %s no further ahead than a few buffers while the consumer stalls', async (format, make) => {
    const source = simulatedRangedSource(make(), { latencyMs: 0, chunkBytes: MiB });
    const reader = await openArchive(source, format, LIMITS);
    for await (const entry of reader) {
      const chunks = (await entry.open())[Symbol.asyncIterator]();
      await chunks.next();
      // Give a reader that ignores backpressure every chance to run ahead.
      for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(entry.size).toBe(60 * MiB);
      expect(source.stats.bytesFetched).toBeLessThan(8 * MiB);
      await chunks.return?.();
      break;
    }
    await reader.close();
  });
});
