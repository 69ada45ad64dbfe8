import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArchiveRejected,
  bufferSource,
  detectFormat,
  detectSourceFormat,
  formatFromName,
} from '../../../src/archive/index.js';
import { craftTarBytes, craftZipBytes, removeTempArchives, tarFile, tarHeader } from '../../support/archives/index.js';

const FIXTURES = '/work/shared/fixtures/omero-cli-transfer';

afterAll(removeTempArchives);

describe('detectFormat', () => {
  it.each([
    ['valid_single_image.zip', 'zip'],
    ['simple_plate.zip', 'zip'],
    ['valid_single_image.tar', 'tar'],
  ])('recognises the fixture %s as %s by content', async (file, format) => {
    const head = (await readFile(`${FIXTURES}/${file}`)).subarray(0, 64 * 1024);
    expect(detectFormat(head)).toBe(format);
    expect(detectFormat(head, 'renamed.bin')).toBe(format);
  });

  it('trusts content over a misleading name', () => {
    const zip = craftZipBytes([{ name: 'a.txt', data: 'a' }]);
    expect(detectFormat(zip, 'archive.tar')).toBe('zip');
    const tar = craftTarBytes([tarFile('a.txt', 'a')]);
    expect(detectFormat(tar, 'archive.zip')).toBe('tar');
  });

  it('recognises an empty zip by its end record', () => {
    expect(detectFormat(craftZipBytes([]))).toBe('zip');
  });

  it('recognises ustar, GNU and v7 tar headers by checksum', () => {
    for (const format of ['ustar', 'gnu', 'v7'] as const) {
      const block = tarHeader({ name: 'file.txt', size: 0, format });
      expect(detectFormat(Buffer.concat([block, Buffer.alloc(1024)]))).toBe('tar');
    }
  });

  it('refuses a tar header whose checksum is wrong', () => {
    expect(detectFormat(Buffer.concat([tarHeader({ name: 'x', checksum: 1 }), Buffer.alloc(1024)]))).toBeUndefined();
  });

  it('looks inside gzip for a tar header', () => {
    const tarGz = gzipSync(craftTarBytes([tarFile('a.txt', 'a')]));
    expect(detectFormat(tarGz)).toBe('tar.gz');
    expect(detectFormat(gzipSync(Buffer.from('just some text, not a tar'.repeat(40))))).toBeUndefined();
  });

  it('uses the name only to break ties', () => {
    const empty = Buffer.alloc(1024);
    expect(detectFormat(empty)).toBeUndefined();
    expect(detectFormat(empty, 'nothing.tar')).toBe('tar');
    // A tar whose first member is literally named "PK\x03\x04…" is both: the name decides.
    const both = craftTarBytes([tarFile(Buffer.from('PK\x03\x04name', 'latin1'), 'x')]);
    expect(detectFormat(both, 'a.tar')).toBe('tar');
    expect(detectFormat(both, 'a.zip')).toBe('zip');
    // A gzip head too short to look inside.
    const tiny = gzipSync(craftTarBytes([tarFile('a.txt', 'a')])).subarray(0, 12);
    expect(detectFormat(tiny, 'a.tgz')).toBe('tar.gz');
    expect(detectFormat(tiny)).toBeUndefined();
  });

  it('says undefined for other content', () => {
    expect(detectFormat(Buffer.from('%PDF-1.7 not an archive'))).toBeUndefined();
    expect(detectFormat(Buffer.alloc(0), 'a.zip')).toBeUndefined();
  });

  it('reads the suffix case-insensitively', () => {
    expect(formatFromName('A.ZIP')).toBe('zip');
    expect(formatFromName('a.TGZ')).toBe('tar.gz');
    expect(formatFromName('a.tar.gz')).toBe('tar.gz');
    expect(formatFromName('a.gz')).toBeUndefined();
  });
});

describe('detectSourceFormat', () => {
  it('refuses an empty file as not_an_archive', async () => {
    const err = await detectSourceFormat(bufferSource(Buffer.alloc(0)), 'a.zip').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveRejected);
    expect((err as ArchiveRejected).reason).toBe('not_an_archive');
  });

  it('refuses other content as not_an_archive whatever its name', async () => {
    const err = await detectSourceFormat(bufferSource(Buffer.from('hello world')), 'a.zip').catch((e: unknown) => e);
    expect((err as ArchiveRejected).reason).toBe('not_an_archive');
  });
});
