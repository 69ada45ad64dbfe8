import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArchiveRejected } from '../../../src/archive/index.js';
import { ByteBudget, EntryGuard, type EntryGuardOptions } from '../../../src/archive/entry-guard.js';

const MiB = 1024 * 1024;

/** Pushes `total` bytes in `chunk`-sized pieces through a guard; the refusal, or the bytes that came out. */
async function flow(options: Partial<EntryGuardOptions>, total: number, chunk = 64 * 1024): Promise<ArchiveRejected | number> {
  const data = Buffer.alloc(chunk, 1);
  const pieces = Array.from({ length: Math.ceil(total / chunk) }, (_, i) => data.subarray(0, Math.min(chunk, total - i * chunk)));
  const guard = new EntryGuard({
    entry: 'e.bin',
    index: 0,
    declaredSize: total,
    sizeIsCertain: true,
    maxEntryBytes: Number.MAX_SAFE_INTEGER,
    budget: new ByteBudget(Number.MAX_SAFE_INTEGER),
    ...options,
  });
  let out = 0;
  try {
    await pipeline(Readable.from(pieces), guard, async (source: AsyncIterable<Buffer>) => {
      for await (const piece of source) out += piece.length;
    });
    return out;
  } catch (err) {
    if (err instanceof ArchiveRejected) return err;
    throw err;
  }
}

describe('EntryGuard (the limits on bytes that actually flow)', () => {
  it('passes data that matches its header', async () => {
    expect(await flow({ expectedCrc32: crc32(Buffer.alloc(100_000, 1)) }, 100_000)).toBe(100_000);
  });

  it('refuses more bytes than declared as soon as they appear', async () => {
    expect(await flow({ declaredSize: 1000 }, 10 * MiB)).toMatchObject({ reason: 'size_mismatch', entry: 'e.bin' });
  });

  it('refuses fewer bytes than declared at the end', async () => {
    expect(await flow({ declaredSize: 200_000 }, 100_000)).toMatchObject({ reason: 'size_mismatch' });
  });

  it('refuses a wrong CRC-32 at the end', async () => {
    expect(await flow({ expectedCrc32: 1 }, 1000)).toMatchObject({ reason: 'crc_mismatch' });
  });

  it('enforces the per-entry limit on actual bytes', async () => {
    expect(await flow({ maxEntryBytes: MiB }, 4 * MiB)).toMatchObject({ reason: 'too_large' });
  });

  it('enforces the archive total across entries, counting a re-opened entry once', async () => {
    const budget = new ByteBudget(3 * MiB);
    expect(await flow({ budget, index: 0 }, 2 * MiB)).toBe(2 * MiB);
    expect(await flow({ budget, index: 0 }, 2 * MiB)).toBe(2 * MiB);
    expect(await flow({ budget, index: 1 }, 2 * MiB)).toMatchObject({ reason: 'too_large' });
    expect(budget.used).toBeGreaterThan(3 * MiB);
  });

  it('enforces the compression ratio on actual bytes once past the grace size', async () => {
    const ratio = { compressedSize: 1000, maxRatio: 100, graceBytes: MiB };
    // 1000 compressed bytes may expand to 1 MiB (the grace), not to 2 MiB.
    expect(await flow({ ratio, declaredSize: MiB }, MiB)).toBe(MiB);
    const refused = await flow({ ratio, sizeIsCertain: false, declaredSize: 0 }, 8 * MiB, MiB);
    expect(refused).toMatchObject({ reason: 'compression_ratio', entry: 'e.bin' });
  });

  it('accepts a size uncertain by a multiple of 4 GiB only (macOS Archive Utility zips)', async () => {
    expect(await flow({ sizeIsCertain: false, declaredSize: 5 }, 6)).toMatchObject({ reason: 'size_mismatch' });
  });
});
