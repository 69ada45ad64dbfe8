import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import yauzl from 'yauzl-promise';

/** The real archives made by `omero transfer pack` (read-only; see LICENSE-NOTE.txt there). */
export const FIXTURES = '/work/shared/fixtures/omero-cli-transfer';

export const fixturePath = (name: string): string => path.join(FIXTURES, name);

/** One entry of a fixture archive, whole (fixtures are small). */
export async function readZipEntry(archive: string, entryName: string): Promise<Buffer> {
  const zip = await yauzl.open(fixturePath(archive));
  try {
    for await (const entry of zip) {
      if (entry.filename === entryName) return await buffer(await entry.openReadStream());
    }
  } finally {
    await zip.close();
  }
  throw new Error(`${archive} has no ${entryName}`);
}

export async function readTarEntry(archive: string, entryName: string): Promise<Buffer> {
  const extract = tar.extract();
  const found = new Promise<Buffer>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      if (header.name === entryName) {
        buffer(stream).then(resolve, reject);
        return;
      }
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', () => reject(new Error(`${archive} has no ${entryName}`)));
    extract.on('error', reject);
  });
  Readable.from(await readFile(fixturePath(archive))).pipe(extract);
  return found;
}

export async function transferXmlOf(fixture: string): Promise<Buffer> {
  if (fixture.endsWith('.zip')) return readZipEntry(fixture, 'transfer.xml');
  if (fixture.endsWith('.tar')) return readTarEntry(fixture, './transfer.xml');
  return readFile(fixturePath(fixture));
}

/** Every entry name of a zip fixture (directories end in '/'). */
export async function zipEntryNames(archive: string): Promise<string[]> {
  const zip = await yauzl.open(fixturePath(archive));
  const names: string[] = [];
  try {
    for await (const entry of zip) names.push(entry.filename);
  } finally {
    await zip.close();
  }
  return names;
}
