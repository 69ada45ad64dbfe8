import { afterAll, describe, expect, it } from 'vitest';
import { fileSource, listZip, openArchive } from '../../../src/archive/index.js';
import { craftZip, removeTempArchives, simulatedRangedSource } from '../../support/archives/index.js';
import { LIMITS } from './read-outcome.js';

const FIXTURES = '/work/shared/fixtures/omero-cli-transfer';

afterAll(removeTempArchives);

describe('zip over ranged reads (as over the iRODS HTTP API)', () => {
  it('reads the central directory from the end first, then streams each entry without a full copy', async () => {
    const file = await fileSource(`${FIXTURES}/valid_single_project.zip`);
    const source = simulatedRangedSource(file, { latencyMs: 2, chunkBytes: 256 * 1024 });
    const reader = await openArchive(source, 'zip', LIMITS);

    // Listing: only reads near the end (end record and central directory), nothing streamed.
    const listingRequests = [...source.stats.requests];
    expect(listingRequests.length).toBeGreaterThan(0);
    expect(listingRequests.length).toBeLessThanOrEqual(3);
    expect(listingRequests.every((r) => r.kind === 'read' && r.offset >= source.size - 3 * 64 * 1024)).toBe(true);
    expect(listingRequests.some((r) => r.offset + r.length === source.size)).toBe(true);

    let bytes = 0;
    for await (const entry of reader) {
      for await (const chunk of await entry.open()) bytes += (chunk as Buffer).length;
    }
    await reader.close();
    await file.close();

    expect(bytes).toBe(1_182_809);
    // Entries above one 64 KiB block were streamed (one stream each); cycle3 (45 KiB) came from a cached block.
    expect(source.stats.streamsOpened).toBe(2);
    // Every byte fetched about once: the archive was never copied whole, nor fetched twice.
    expect(source.stats.bytesFetched).toBeLessThan(source.size * 1.2);
    expect(source.stats.requests.length).toBeLessThan(20);
  });

  it('lists a zip of many small entries in a handful of requests, not one per entry', async () => {
    const files = Array.from({ length: 2000 }, (_, i) => ({ name: `root_0/2024-01/02/${i}/image-${i}.tif`, data: `pixels ${i}`, method: 0 }));
    const file = await fileSource(await craftZip(files));
    const source = simulatedRangedSource(file, { latencyMs: 1 });
    const listing = await listZip(source, { ...LIMITS, maxEntries: 10_000 });
    await file.close();
    expect(listing.fileCount).toBe(2000);
    // ~190 KiB of central directory in 64 KiB blocks, instead of 4000 requests of 46 bytes.
    expect(source.stats.requests.length).toBeLessThanOrEqual(8);
  });

  it('lets the source error through untouched (retryable), not as a corrupt archive', async () => {
    const file = await fileSource(`${FIXTURES}/simple_plate.zip`);
    class NetworkDown extends Error {
      override readonly name = 'NetworkDown';
    }
    const failing = {
      size: file.size,
      read: () => Promise.reject(new NetworkDown('connection reset')),
      createReadStream: file.createReadStream.bind(file),
    };
    await expect(openArchive(failing, 'zip', LIMITS)).rejects.toBeInstanceOf(NetworkDown);
    await file.close();
  });
});
