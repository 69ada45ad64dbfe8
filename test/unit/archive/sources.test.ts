import { afterAll, describe, expect, it } from 'vitest';
import { bufferSource, fileSource, type RandomAccessSource } from '../../../src/archive/index.js';
import { removeTempArchives, writeArchive } from '../../support/archives/index.js';

afterAll(removeTempArchives);

const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256));

async function streamed(source: RandomAccessSource, offset: number, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source.createReadStream(offset, length)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe.each([
  ['fileSource', async () => fileSource(await writeArchive(bytes, '.bin'))],
  ['bufferSource', () => Promise.resolve(bufferSource(bytes))],
])('%s', (_name, make) => {
  it('reads exact ranges, and fewer bytes only at the end', async () => {
    const source = await make();
    expect(source.size).toBe(bytes.length);
    expect((await source.read(1000, 5000)).equals(bytes.subarray(1000, 6000))).toBe(true);
    expect((await source.read(bytes.length - 10, 100)).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    expect((await source.read(bytes.length, 10)).length).toBe(0);
    if ('close' in source && typeof source.close === 'function') await (source.close as () => Promise<void>)();
  });

  it('streams ranges, several at once', async () => {
    const source = await make();
    const [a, b, empty] = await Promise.all([streamed(source, 0, 200_000), streamed(source, 150_000, 150_000), streamed(source, 5, 0)]);
    // Buffer.equals: vitest's deep equality is far too slow on 100 KiB buffers.
    expect(a.equals(bytes.subarray(0, 200_000))).toBe(true);
    expect(b.equals(bytes.subarray(150_000))).toBe(true);
    expect(empty.length).toBe(0);
    if ('close' in source && typeof source.close === 'function') await (source.close as () => Promise<void>)();
  });

  it('honours an aborted signal', async () => {
    const source = await make();
    await expect(source.read(0, 10, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    if ('close' in source && typeof source.close === 'function') await (source.close as () => Promise<void>)();
  });
});
