import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHIVE_REJECT_REASONS, bufferSource, fileSource, listZip, openArchive } from '../../../src/archive/index.js';
import {
  buildZip,
  craftZip,
  emptyZip,
  removeTempArchives,
  zipBomb,
  zipEncrypted,
  zipTruncated,
  zipWithCrcMismatch,
  zipWithEntries,
  zipWithEntryName,
  zipWithInvalidUtf8Name,
  zipWithLocalHeaderMismatch,
  zipWithLyingSize,
  zipWithManyEntries,
  zipWithMethod,
  zipWithOverlappingEntries,
  zipWithSymlink,
  type LocalHeaderField,
} from '../../support/archives/index.js';
import { LIMITS, readOutcome } from './read-outcome.js';

afterAll(removeTempArchives);

describe('zip: refused before any entry is handed out', () => {
  it.each([
    ['../evil.txt', 'contains ".."'],
    ['a/../../evil.txt', 'contains ".."'],
    ['/etc/cron.d/evil', 'absolute path'],
    ['C:/Windows/evil.dll', 'drive letter'],
    ['..\\..\\evil.txt', 'backslash'],
    ['a\u0000.txt', 'NUL'],
    ['a//b.txt', 'empty folder name'],
    ['a/./b.txt', '"." folder'],
    ['line\nbreak.txt', 'control character'],
  ])('refuses %j (%s) as unsafe_path and names the entry', async (name, words) => {
    const outcome = await readOutcome(await zipWithEntryName(name));
    expect(outcome.atOpen).toBe(true);
    expect(outcome.error?.reason).toBe('unsafe_path');
    expect(outcome.error?.entry).toBe(name);
    expect(outcome.error?.message).toContain(words);
    // A hostile name never reaches the message raw.
    expect(outcome.error?.message).not.toContain('\u0000');
    expect(outcome.error?.message).not.toContain('\n');
  });

  it('refuses a symbolic link flagged in the external attributes', async () => {
    const outcome = await readOutcome(await zipWithSymlink());
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'unsupported_entry_type', entry: 'link' } });
    expect(outcome.error?.message).toContain('symbolic link');
  });

  it('refuses a device or FIFO flagged in the external attributes', async () => {
    const path = await craftZip([{ name: 'fifo', data: '', externalAttributes: (0o010644 << 16) >>> 0 }]);
    expect(await readOutcome(path)).toMatchObject({ error: { reason: 'unsupported_entry_type', entry: 'fifo' } });
  });

  it('refuses an encrypted entry', async () => {
    const outcome = await readOutcome(await zipEncrypted());
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'encrypted_entry', entry: 'secret.txt' } });
  });

  it('refuses a WinZip AES entry (method 99) as encrypted', async () => {
    expect(await readOutcome(await zipWithMethod(99))).toMatchObject({ error: { reason: 'encrypted_entry', entry: 'packed.bin' } });
  });

  it('refuses compression methods other than store and deflate, naming the method', async () => {
    const outcome = await readOutcome(await zipWithMethod(12));
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'unsupported_compression', entry: 'packed.bin' } });
    expect(outcome.error?.message).toContain('bzip2');
  });

  it('refuses a name that is not valid UTF-8 though flagged UTF-8', async () => {
    const outcome = await readOutcome(await zipWithInvalidUtf8Name());
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'invalid_utf8', entry: 'bad\ufffd\ufffd.txt' } });
  });

  it('reads a name without the UTF-8 flag as CP437', async () => {
    const path = await craftZip([{ name: Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]), data: 'x' }]);
    expect(await readOutcome(path)).toMatchObject({ delivered: ['café.txt'] });
  });

  it.each<[string, string[], string]>([
    ['two files with one name', ['a.txt', 'a.txt'], 'a.txt'],
    ['the same name after ./ is stripped', ['a.txt', './a.txt'], 'a.txt'],
    ['a file and a folder with one name', ['x', 'x/'], 'x'],
    ['a folder and a file with one name', ['x/', 'x'], 'x'],
    ['a file inside a file', ['x', 'x/y.txt'], 'x/y.txt'],
  ])('refuses %s as duplicate_entry', async (_title, names, entry) => {
    const outcome = await readOutcome(await zipWithEntries(names));
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'duplicate_entry', entry } });
  });

  it('accepts names that differ only in case (iRODS is case-sensitive)', async () => {
    const outcome = await readOutcome(await zipWithEntries(['Image.tif', 'image.tif']));
    expect(outcome.error).toBeUndefined();
    expect(outcome.delivered).toEqual(['transfer.xml', 'Image.tif', 'image.tif']);
  });

  it('refuses more entries than maxEntries', async () => {
    const outcome = await readOutcome(await zipWithManyEntries(20), { ...LIMITS, maxEntries: 10 });
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'too_many_entries' } });
  });

  it('refuses a truncated zip (cut in the middle, or just before its end)', async () => {
    for (const keep of [undefined, 100]) {
      const outcome = await readOutcome(await zipTruncated(keep));
      expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'truncated' } });
    }
    const whole = await fileSource(await zipTruncated(10 ** 9));
    const cutBeforeEnd = await zipTruncated(whole.size - 5);
    await whole.close();
    expect(await readOutcome(cutBeforeEnd)).toMatchObject({ error: { reason: 'truncated' } });
  });

  it('refuses entries whose data overlap (the "non-recursive" zip bomb construction)', async () => {
    const outcome = await readOutcome(await zipWithOverlappingEntries());
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'corrupt' } });
  });

  it('refuses a stored entry whose two declared sizes differ', async () => {
    const path = await craftZip([{ name: 's.bin', data: 'abcdef', method: 0, compressedSize: 6, uncompressedSize: 9 }]);
    expect(await readOutcome(path)).toMatchObject({ atOpen: true, error: { reason: 'size_mismatch', entry: 's.bin' } });
  });

  it('refuses bytes that are not a zip at all', async () => {
    const reader = openArchive(bufferSource(Buffer.from('this is plain text, not a zip archive at all.....')), 'zip', LIMITS);
    await expect(reader).rejects.toMatchObject({ reason: 'not_an_archive' });
    await expect(openArchive(bufferSource(Buffer.alloc(0)), 'zip', LIMITS)).rejects.toMatchObject({ reason: 'not_an_archive' });
  });
});

describe('zip: bombs and limits', () => {
  it('refuses a few MiB of deflated zeros by the compression ratio limit', async () => {
    const outcome = await readOutcome(await zipBomb({ zeroBytes: 8 * 1024 * 1024 }));
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'compression_ratio', entry: 'bomb.bin' } });
    expect(outcome.error?.message).toContain('the limit is 200');
  });

  it('refuses the same bomb by the total size limit when the ratio would allow it', async () => {
    const outcome = await readOutcome(await zipBomb({ zeroBytes: 8 * 1024 * 1024 }), {
      ...LIMITS,
      maxCompressionRatio: 100_000,
      maxTotalBytes: 4 * 1024 * 1024,
    });
    expect(outcome).toMatchObject({ atOpen: true, error: { reason: 'too_large', entry: 'bomb.bin' } });
  });

  it('refuses an entry above maxEntryBytes', async () => {
    const path = await buildZip([{ name: 'big.bin', data: Buffer.alloc(100_000, 1) }]);
    const outcome = await readOutcome(path, { ...LIMITS, maxEntryBytes: 50_000 });
    expect(outcome).toMatchObject({ error: { reason: 'too_large', entry: 'big.bin' } });
  });

  it('stops a bomb whose header lies about its size after the declared bytes, not after the real ones', async () => {
    const outcome = await readOutcome(await zipBomb({ zeroBytes: 8 * 1024 * 1024, declaredSize: 10_000 }));
    expect(outcome).toMatchObject({ atOpen: false, error: { reason: 'size_mismatch', entry: 'bomb.bin' } });
    // transfer.xml went through; of the bomb, at most one inflate chunk past the declared size.
    expect(outcome.delivered).toEqual(['transfer.xml']);
    expect(outcome.bytes).toBeLessThan(10_000 + 64 * 1024 + 1000);
  });

  it('refuses an entry that holds fewer bytes than it declares', async () => {
    const stored = await readOutcome(await zipWithLyingSize(Buffer.from('short'), 5000, 0));
    // A stored entry: its data would run into the central directory.
    expect(stored.error?.reason).toMatch(/corrupt|size_mismatch/);
    const deflated = await readOutcome(await zipWithLyingSize(Buffer.from('short'), 5000, 8));
    expect(deflated).toMatchObject({ error: { reason: 'size_mismatch', entry: 'liar.bin' } });
  });
});

describe('zip: refused while the entry streams', () => {
  it.each<LocalHeaderField>(['name', 'method', 'crc32', 'compressedSize', 'uncompressedSize'])(
    'refuses a local header that disagrees with the central directory on %s',
    async (field) => {
      const outcome = await readOutcome(await zipWithLocalHeaderMismatch(field));
      expect(outcome).toMatchObject({ atOpen: false, delivered: ['transfer.xml'], error: { reason: 'header_mismatch', entry: 'entry.txt' } });
    },
  );

  it('accepts a local header that defers sizes to a data descriptor', async () => {
    const path = await craftZip([{ name: 'streamed.txt', data: 'written by a streaming zipper', dataDescriptor: true }]);
    expect(await readOutcome(path)).toMatchObject({ delivered: ['streamed.txt'] });
  });

  it('refuses data whose CRC-32 does not match', async () => {
    const outcome = await readOutcome(await zipWithCrcMismatch());
    expect(outcome).toMatchObject({ atOpen: false, delivered: ['transfer.xml'], error: { reason: 'crc_mismatch', entry: 'damaged.txt' } });
  });

  it('refuses deflate data that cannot be decoded', async () => {
    const path = await craftZip([{ name: 'garbage.bin', data: 'x'.repeat(100), method: 8, compressed: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]);
    expect(await readOutcome(path)).toMatchObject({ error: { reason: 'corrupt', entry: 'garbage.bin' } });
  });
});

describe('zip: normal archives and the reader contract', () => {
  it('reads an empty zip as no entries, without transfer.xml', async () => {
    const path = await emptyZip();
    expect(await readOutcome(path)).toEqual({ atOpen: false, delivered: [], bytes: 0 });
    const source = await fileSource(path);
    expect(await listZip(source, LIMITS)).toMatchObject({ entryCount: 0, hasTransferXml: false });
    await source.close();
  });

  it('opens several entries at once and the same entry twice', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.bin`, data: Buffer.alloc(200_000 + i, i) }));
    const source = await fileSource(await buildZip(files));
    const reader = await openArchive(source, 'zip', LIMITS);
    expect(reader.access).toBe('random');
    const entries = [];
    for await (const entry of reader) entries.push(entry);
    const sizes = await Promise.all(
      [...entries, ...entries].map(async (entry) => {
        let n = 0;
        for await (const chunk of await entry.open()) n += (chunk as Buffer).length;
        return n;
      }),
    );
    expect(sizes).toEqual([...files, ...files].map((f) => f.data.length));
    // Iterating again re-reads the central directory: how a resumed expansion skips ahead.
    let again = 0;
    for await (const entry of reader) again += entry.kind === 'file' ? 1 : 0;
    expect(again).toBe(6);
    await reader.close();
    await expect(entries[0]?.open()).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    await source.close();
  });

  it('ends open streams when the reader is closed', async () => {
    const source = await fileSource(await buildZip([{ name: 'big.bin', data: randomBytes(3_000_000) }]));
    const reader = await openArchive(source, 'zip', LIMITS);
    const run = (async () => {
      for await (const entry of reader) {
        const stream = await entry.open();
        for await (const _chunk of stream) await reader.close();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    await source.close();
  });

  it('stops an entry stream when its signal aborts', async () => {
    const source = await fileSource(await buildZip([{ name: 'big.bin', data: randomBytes(3_000_000) }]));
    const reader = await openArchive(source, 'zip', LIMITS);
    const controller = new AbortController();
    for await (const entry of reader) {
      const stream = await entry.open(controller.signal);
      const consumed = (async () => {
        for await (const _chunk of stream) controller.abort();
      })();
      await expect(consumed).rejects.toMatchObject({ name: 'AbortError' });
    }
    await reader.close();
    await source.close();
  });

  it('has a message for every reason', () => {
    expect(new Set(ARCHIVE_REJECT_REASONS).size).toBe(ARCHIVE_REJECT_REASONS.length);
  });
});
