import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferSource, fileSource, openArchive, type ArchiveEntry, type RandomAccessSource } from '../../../src/archive/index.js';
import {
  buildTar,
  craftTar,
  emptyTar,
  removeTempArchives,
  tarFile,
  tarGzBomb,
  tarGzTruncated,
  tarWithBadChecksum,
  tarWithEntries,
  tarWithEntryName,
  tarWithEntryType,
  tarWithInvalidUtf8Name,
  tarWithLongName,
  tarTruncated,
  writeArchive,
} from '../../support/archives/index.js';
import { Gate } from '../../support/wait.js';
import { LIMITS, readOutcome } from './read-outcome.js';

afterAll(removeTempArchives);

describe('tar: refused when the entry is reached', () => {
  it.each([
    ['../evil.txt', 'contains ".."'],
    ['./../evil.txt', 'contains ".."'],
    ['/etc/cron.d/evil', 'absolute path'],
    ['C:/evil.dll', 'drive letter'],
    ['a\\b.txt', 'backslash'],
    ['a//b.txt', 'empty folder name'],
    ['a/./b.txt', '"." folder'],
    ['\u001b[2Jclear.txt', 'control character'],
  ])('refuses %j (%s) as unsafe_path, after the entries before it', async (name, words) => {
    const outcome = await readOutcome(await tarWithEntryName(name));
    expect(outcome.error?.reason).toBe('unsafe_path');
    expect(outcome.error?.entry).toBe(name);
    expect(outcome.error?.message).toContain(words);
    expect(outcome.delivered).toEqual(['transfer.xml']);
  });

  it.each([
    ['1', 'a hard link'],
    ['2', 'a symbolic link'],
    ['3', 'a device'],
    ['4', 'a device'],
    ['6', 'a FIFO'],
    ['S', 'a type the agent does not handle'],
    ['V', 'a type the agent does not handle'],
  ])('refuses type flag %s (%s) as unsupported_entry_type', async (typeflag, words) => {
    const outcome = await readOutcome(await tarWithEntryType(typeflag));
    expect(outcome).toMatchObject({ error: { reason: 'unsupported_entry_type', entry: 'special' } });
    expect(outcome.error?.message).toContain(words);
  });

  it('keeps the message short when a PAX name is huge', async () => {
    const name = `${'../'.repeat(5000)}evil`;
    const outcome = await readOutcome(await tarWithLongName('pax', name));
    expect(outcome.error).toMatchObject({ reason: 'unsafe_path', entry: name });
    expect(outcome.error?.message.length).toBeLessThan(400);
  });

  it.each(['ustar', 'gnu', 'pax'] as const)('refuses a name that is not valid UTF-8 (%s header)', async (kind) => {
    const outcome = await readOutcome(await tarWithInvalidUtf8Name(kind));
    expect(outcome).toMatchObject({ error: { reason: 'invalid_utf8', entry: 'bad\ufffd\ufffd.txt' } });
  });

  it.each<[string, string[], string]>([
    ['two files with one name', ['a.txt', 'a.txt'], 'a.txt'],
    ['a folder then a file with one name', ['x/', 'x'], 'x'],
    ['a file then a folder with one name', ['x', 'x/'], 'x'],
    ['a file inside a file', ['x', 'x/y.txt'], 'x/y.txt'],
  ])('refuses %s as duplicate_entry', async (_title, names, entry) => {
    expect(await readOutcome(await tarWithEntries(names))).toMatchObject({ error: { reason: 'duplicate_entry', entry } });
  });

  it('refuses the same name written with and without ./', async () => {
    const path = await craftTar([tarFile('./a.txt', '1'), tarFile('a.txt', '2')]);
    expect(await readOutcome(path)).toMatchObject({ error: { reason: 'duplicate_entry', entry: 'a.txt' } });
  });

  it.each(['mid-data', 'mid-header', 'no-end-marker'] as const)('refuses a tar truncated %s', async (where) => {
    const outcome = await readOutcome(await tarTruncated(where));
    expect(outcome.error?.reason).toBe('truncated');
    expect(outcome.error?.message).toMatch(/cut short/);
  });

  it('refuses a header with a wrong checksum as corrupt', async () => {
    expect(await readOutcome(await tarWithBadChecksum())).toMatchObject({ error: { reason: 'corrupt' }, delivered: ['transfer.xml'] });
  });

  it('refuses more entries than maxEntries', async () => {
    const path = await tarWithEntries(Array.from({ length: 12 }, (_, i) => `f${i}.txt`));
    expect(await readOutcome(path, { ...LIMITS, maxEntries: 10 })).toMatchObject({ error: { reason: 'too_many_entries' } });
  });

  it('refuses an entry above maxEntryBytes before reading it, and the archive above maxTotalBytes', async () => {
    const path = await buildTar([
      { name: 'a.bin', data: Buffer.alloc(40_000, 1) },
      { name: 'b.bin', data: Buffer.alloc(40_000, 2) },
    ]);
    expect(await readOutcome(path, { ...LIMITS, maxEntryBytes: 30_000 })).toMatchObject({
      error: { reason: 'too_large', entry: 'a.bin' },
      bytes: 0,
    });
    expect(await readOutcome(path, { ...LIMITS, maxTotalBytes: 60_000 })).toMatchObject({
      error: { reason: 'too_large', entry: 'b.bin' },
      delivered: ['a.bin'],
    });
  });

  it('refuses bytes that are not a tar at all', async () => {
    const path = await writeArchive(Buffer.concat([Buffer.alloc(512, 0x41), Buffer.alloc(1024)]), '.tar');
    const source = await fileSource(path);
    const reader = await openArchive(source, 'tar', LIMITS);
    await expect(
      (async () => {
        for await (const _entry of reader) void _entry;
      })(),
    ).rejects.toMatchObject({ reason: 'not_an_archive' });
    await source.close();
  });
});

describe('tar.gz', () => {
  it('refuses a gzip bomb by the compression ratio limit, while streaming', async () => {
    const outcome = await readOutcome(await tarGzBomb(16 * 1024 * 1024));
    expect(outcome.error?.reason).toBe('compression_ratio');
    expect(outcome.bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a truncated gzip stream', async () => {
    expect(await readOutcome(await tarGzTruncated())).toMatchObject({ error: { reason: 'truncated' } });
  });
});

describe('tar: normal archives and the reader contract', () => {
  it('reads GNU and PAX long names', async () => {
    const long = `${'deep/'.repeat(30)}${'n'.repeat(120)}.tif`;
    for (const kind of ['gnu', 'pax'] as const) {
      const outcome = await readOutcome(await tarWithLongName(kind, long));
      expect(outcome.error).toBeUndefined();
      expect(outcome.delivered).toEqual(['transfer.xml', long]);
    }
  });

  it('reads an empty tar as no entries', async () => {
    expect(await readOutcome(await emptyTar())).toEqual({ atOpen: false, delivered: [], bytes: 0 });
  });

  it('skips entries that are not opened, and lets a consumer stop reading an entry early', async () => {
    const data = randomBytes(300_000);
    const path = await buildTar([
      { name: 'skipped.bin', data },
      { name: 'abandoned.bin', data },
      { name: 'read.bin', data },
    ]);
    const source = await fileSource(path);
    const reader = await openArchive(source, 'tar', LIMITS);
    expect(reader.access).toBe('sequential');
    const read: Record<string, number> = {};
    for await (const entry of reader) {
      if (entry.path === 'skipped.bin') continue;
      const stream = await entry.open();
      let n = 0;
      for await (const chunk of stream) {
        n += (chunk as Buffer).length;
        if (entry.path === 'abandoned.bin') break;
      }
      read[entry.path] = n;
    }
    expect(read['read.bin']).toBe(300_000);
    expect(read['abandoned.bin']).toBeLessThan(300_000);
    await source.close();
  });

  it('refuses to open an entry after the iterator moved past it, or twice', async () => {
    const source = await fileSource(await buildTar([{ name: 'a.txt', data: 'a' }, { name: 'b.txt', data: 'b' }]));
    const reader = await openArchive(source, 'tar', LIMITS);
    const seen: ArchiveEntry[] = [];
    for await (const entry of reader) {
      seen.push(entry);
      await entry.open();
      await expect(entry.open()).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    }
    await expect(seen[0]?.open()).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    await expect(
      (async () => {
        for await (const _entry of reader) void _entry;
      })(),
    ).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    await source.close();
  });

  it('ends the iteration and the open stream when the reader is closed mid-way', async () => {
    const source = await fileSource(await buildTar([{ name: 'a.bin', data: randomBytes(500_000) }, { name: 'b.txt', data: 'b' }]));
    const reader = await openArchive(source, 'tar', LIMITS);
    const run = (async () => {
      for await (const entry of reader) {
        const stream = await entry.open();
        await reader.close();
        for await (const _chunk of stream) void _chunk;
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
    await source.close();
  });

  it('stops when the reader signal aborts', async () => {
    const source = await fileSource(await buildTar([{ name: 'a.bin', data: randomBytes(2_000_000) }, { name: 'b.txt', data: 'b' }]));
    const controller = new AbortController();
    const reader = await openArchive(source, 'tar', LIMITS, controller.signal);
    const run = (async () => {
      for await (const entry of reader) {
        for await (const _chunk of await entry.open()) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    await source.close();
  });

  describe('an entry opened after its stream is gone fails instead of waiting forever', () => {
    /** The tar's first `cut` bytes in one chunk, then the source's own error once `failNow` opens. */
    function failingSource(bytes: Buffer, cut: number, failNow: Gate, failure: Error): RandomAccessSource {
      return {
        ...bufferSource(bytes),
        createReadStream: () => {
          let sent = false;
          return new Readable({
            read() {
              if (sent) return;
              sent = true;
              this.push(bytes.subarray(0, cut));
              void failNow.wait().then(() => this.destroy(failure));
            },
          });
        },
      };
    }

    /** How the entry's stream ends: its error, or 'hung' when nothing happens within the bound. */
    async function readEnd(entry: ArchiveEntry): Promise<unknown> {
      const read = (async () => {
        try {
          for await (const _chunk of await entry.open()) void _chunk;
          return 'ended';
        } catch (err) {
          return err;
        }
      })();
      const bound = new Gate();
      const timer = setTimeout(() => bound.open(), 3_000);
      const end = await Promise.race([read, bound.wait().then(() => 'hung')]);
      clearTimeout(timer);
      return end;
    }

    // a.bin's header, then half of its data: the entry is handed out while its data is pending.
    async function halfReadTar(): Promise<{ bytes: Buffer; cut: number }> {
      const bytes = await readFile(await buildTar([{ name: 'a.bin', data: randomBytes(100_000) }, { name: 'b.txt', data: 'b' }]));
      return { bytes, cut: 512 + 50_000 };
    }

    it("when the source failed: the source's own error", async () => {
      const { bytes, cut } = await halfReadTar();
      const failNow = new Gate();
      const failure = Object.assign(new Error('iRODS went away'), { code: 'SOURCE_DOWN' });
      const reader = await openArchive(failingSource(bytes, cut, failNow, failure), 'tar', LIMITS);
      const ends: unknown[] = [];
      const run = (async () => {
        for await (const entry of reader) {
          failNow.open();
          // Every tick the failure takes to reach the entry's stream runs before this turn ends.
          await turn();
          ends.push(await readEnd(entry));
        }
      })();
      await expect(run).rejects.toBe(failure);
      expect(ends).toEqual([failure]);
    });

    it('when the reader was closed: a usage error', async () => {
      const { bytes } = await halfReadTar();
      const reader = await openArchive(bufferSource(bytes), 'tar', LIMITS);
      const ends: unknown[] = [];
      const run = (async () => {
        for await (const entry of reader) {
          await reader.close();
          await turn();
          ends.push(await readEnd(entry));
        }
      })();
      await expect(run).rejects.toMatchObject({ code: 'ARCHIVE_USAGE' });
      expect(ends).toEqual([expect.objectContaining({ code: 'ARCHIVE_USAGE' })]);
    });
  });
});
