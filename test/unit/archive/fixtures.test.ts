import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectSourceFormat,
  fileSource,
  listZip,
  openArchive,
  readEntryBytes,
  type ArchiveLimits,
} from '../../../src/archive/index.js';
import {
  buildTar,
  buildTarGz,
  buildZip,
  extractWithSystemTool,
  removeTempArchives,
  runSystemTool,
  snapshotThroughReader,
  tempArchivePath,
  tempDir,
} from '../../support/archives/index.js';


const FIXTURES = '/work/shared/fixtures/omero-cli-transfer';
const LIMITS: ArchiveLimits = {
  maxEntries: 200_000,
  maxTotalBytes: 2 ** 40,
  maxEntryBytes: 2 ** 39,
  maxCompressionRatio: 200,
};

afterAll(removeTempArchives);

async function compareWithSystemTool(path: string): Promise<void> {
  const source = await fileSource(path);
  try {
    const format = await detectSourceFormat(source, path);
    const reader = await openArchive(source, format, LIMITS);
    const ours = await snapshotThroughReader(reader);
    await reader.close();
    const theirs = await extractWithSystemTool(path, format);
    expect(Object.keys(ours.files).sort()).toEqual(Object.keys(theirs.files).sort());
    expect(ours.files).toEqual(theirs.files);
    expect(ours.directories).toEqual(theirs.directories);
  } finally {
    await source.close();
  }
}

describe('the omero-cli-transfer fixtures', () => {
  it.each([
    'valid_single_image.tar',
    'valid_single_image.zip',
    'valid_single_dataset.zip',
    'valid_single_project.zip',
    'incomplete_project.zip',
    'simple_plate.zip',
    'simple_screen.zip',
  ])('reads %s byte for byte as the system tool extracts it', async (file) => {
    await compareWithSystemTool(`${FIXTURES}/${file}`);
  });

  it('strips the ./ prefixes of the tar and skips its root entry', async () => {
    const source = await fileSource(`${FIXTURES}/valid_single_image.tar`);
    const reader = await openArchive(source, 'tar', LIMITS);
    const seen: string[] = [];
    for await (const entry of reader) seen.push(`${entry.kind}:${entry.path}`);
    await source.close();
    expect(seen).toEqual([
      'directory:root_0',
      'directory:root_0/2023-12',
      'directory:root_0/2023-12/18',
      'directory:root_0/2023-12/18/14-52-03.548',
      'file:root_0/2023-12/18/14-52-03.548/combined_result.tiff',
      'file:transfer.xml',
    ]);
  });

  it('lists a zip from its central directory alone', async () => {
    const source = await fileSource(`${FIXTURES}/valid_single_project.zip`);
    const listing = await listZip(source, LIMITS, undefined, { entries: true });
    await source.close();
    expect(listing).toMatchObject({
      entryCount: 10,
      fileCount: 4,
      directoryCount: 6,
      totalDeclaredBytes: 1_182_809,
      hasTransferXml: true,
      isZip64: false,
    });
    expect(listing.entries?.find((e) => e.path === 'pixel_images/52.tiff')).toMatchObject({
      kind: 'file',
      size: 1_050_805,
      crc32: 0xb350efa1,
    });
  });

  it('reads transfer.xml into memory with a size cap', async () => {
    const source = await fileSource(`${FIXTURES}/simple_screen.zip`);
    const reader = await openArchive(source, 'zip', LIMITS);
    for await (const entry of reader) {
      if (entry.path !== 'transfer.xml') continue;
      const xml = (await readEntryBytes(entry, 1024 * 1024)).toString('utf8');
      expect(xml).toContain('<OME');
      await expect(readEntryBytes(entry, 1000)).rejects.toMatchObject({ reason: 'too_large', entry: 'transfer.xml' });
    }
    await reader.close();
    await source.close();
  });
});

describe('archives written by other tools', () => {
  const entries = [
    { name: 'transfer.xml', data: '<OME/>' },
    { name: 'root_0/', directory: true },
    { name: 'root_0/2024-01/02/03-04-05.678/image.ome.tiff', data: Buffer.alloc(300_000, 9) },
    { name: 'root_0/2024-01/02/03-04-05.678/notes (1).txt', data: 'notes' },
    { name: 'file_annotations/7/résumé été.pdf', data: 'pdf' },
    { name: 'deep/' + 'x'.repeat(90) + '/' + 'y'.repeat(90) + '/long-name.bin', data: 'long path' },
    { name: 'empty.txt', data: '' },
  ];

  it('reads a yazl zip (deflate, store and zip64) as unzip does', async () => {
    await compareWithSystemTool(await buildZip(entries));
    await compareWithSystemTool(await buildZip(entries.map((e) => ({ ...e, compress: false }))));
    await compareWithSystemTool(await buildZip(entries, { forceZip64: true }));
  });

  it('reads a tar-stream tar (PAX long and non-ASCII names, ./ prefixes) as tar does', async () => {
    await compareWithSystemTool(await buildTar(entries));
    await compareWithSystemTool(await buildTar(entries, { dotSlash: true }));
  });

  it('reads a tar.gz as tar -z does', async () => {
    await compareWithSystemTool(await buildTarGz(entries, { dotSlash: true }));
  });
});

describe('archives written by the system tools', () => {
  async function tree(): Promise<string> {
    const dir = await tempDir();
    const files: Record<string, Buffer | string> = {
      'transfer.xml': '<OME/>',
      'root_0/2024-01/02/03-04-05.678/image.ome.tiff': Buffer.alloc(200_000, 3),
      [`root_0/${'long-folder-name-'.repeat(5)}/${'very-long-file-name-'.repeat(8)}.tif`]: 'long',
      'file_annotations/9/été résumé.pdf': 'pdf',
      'empty.txt': '',
    };
    for (const [name, data] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), data);
    }
    await mkdir(join(dir, 'empty-folder'));
    return dir;
  }

  it.each(['gnu', 'posix', 'ustar'])('reads GNU tar --format=%s as tar extracts it', async (format) => {
    const dir = await tree();
    const path = await tempArchivePath('.tar');
    // ustar cannot hold the 200-byte name: leave it out there.
    const exclude = format === 'ustar' ? ['--exclude=*very-long-file-name-*'] : [];
    await runSystemTool('tar', ['-cf', path, `--format=${format}`, ...exclude, '-C', dir, '.']);
    await compareWithSystemTool(path);
  });

  it('reads an Info-ZIP zip as unzip extracts it', async () => {
    const dir = await tree();
    const path = await tempArchivePath('.zip');
    await runSystemTool('zip', ['-q', '-r', path, '.'], { cwd: dir });
    await compareWithSystemTool(path);
  });
});
