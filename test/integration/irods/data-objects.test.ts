import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsError, isAlreadyExists, isNotFound, isPermissionDenied } from '../../../src/irods/errors.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

async function failure(promise: Promise<unknown>): Promise<IrodsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IrodsError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

const sha2 = (data: Buffer): string => `sha2:${createHash('sha256').update(data).digest('base64')}`;

describe('iRODS client: data objects', () => {
  let irods: IrodsForTest;
  let base: string;

  beforeAll(async () => {
    irods = await startIrodsForTest();
    base = `${irods.home()}/objects-test`;
    await irods.client.collections.create(base);
  });
  afterAll(async () => {
    await irods.close();
  });

  it('writes a chunk, stats it and reads it back whole and by range', async () => {
    const lpath = `${base}/hello.txt`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('hello, iRODS'));
    const stat = await irods.client.dataObjects.stat(lpath);
    expect(stat).toMatchObject({ type: 'data_object', size: 12 });
    expect(stat.permissions).toContainEqual(expect.objectContaining({ name: 'rods', perm: 'own' }));
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('hello, iRODS');
    expect((await irods.client.dataObjects.read(lpath, { offset: 7, count: 5 })).toString()).toBe('iRODS');
    expect((await irods.client.dataObjects.read(lpath, { offset: 7, count: 500 })).toString()).toBe('iRODS');
    expect(await text(await irods.client.dataObjects.readStream(lpath, { offset: 1, count: 4 }))).toBe('ello');
  });

  it('overwrites in place without truncating when told so, and truncates by default at offset 0', async () => {
    const lpath = `${base}/patch.txt`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('0123456789'));
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('AB'), { offset: 4, truncate: false });
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('0123AB6789');
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('xyz'), { offset: 10 });
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('0123AB6789xyz');
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('new'));
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('new');
  });

  it('writes and reads an lpath with non-ASCII characters', async () => {
    const lpath = `${base}/µm-scale ünïcode 画像.txt`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('utf-8 name'));
    await irods.client.dataObjects.writeStream(lpath, Readable.from([Buffer.from('streamed '), Buffer.from('too')]));
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('streamed too');
    expect(await irods.client.collections.list(base)).toContain(lpath);
  });

  it('reports a missing data object as not found with a negative code', async () => {
    const lpath = `${base}/missing.bin`;
    const stat = await failure(irods.client.dataObjects.stat(lpath));
    expect(stat.code).toBeLessThan(0);
    expect(stat.codeName).toBe('NOT_A_DATA_OBJECT');
    expect(isNotFound(stat)).toBe(true);
    const read = await failure(irods.client.dataObjects.read(lpath));
    expect(isNotFound(read)).toBe(true);
    expect(read.op).toBe('data-objects/read');
  });

  it('denies a rodsuser what it was not granted, then allows it once granted', async () => {
    const user = await irods.makeUser('reader');
    // The user may browse the collection (STRICT ACLs hide objects in unreadable collections).
    await irods.client.collections.setPermission(base, user.name, 'read');
    const lpath = `${base}/secret.txt`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('for rods only'));
    const denied = await failure(user.client.dataObjects.read(lpath));
    expect(isNotFound(denied) || isPermissionDenied(denied)).toBe(true);
    const deniedStat = await failure(user.client.dataObjects.stat(lpath));
    expect(deniedStat.code).toBeLessThan(0);
    const deniedWrite = await failure(user.client.dataObjects.writeChunk(lpath, Buffer.from('mine now')));
    expect(deniedWrite.code).toBeLessThan(0);

    await irods.client.dataObjects.setPermission(lpath, user.name, 'read');
    expect((await user.client.dataObjects.read(lpath)).toString()).toBe('for rods only');
    const stillNoWrite = await failure(user.client.dataObjects.writeChunk(lpath, Buffer.from('mine now')));
    expect(stillNoWrite.code).toBeLessThan(0);
  });

  it('calculates and verifies the sha2 checksum', async () => {
    const lpath = `${base}/sum.bin`;
    const data = Buffer.from('checksum me');
    await irods.client.dataObjects.writeChunk(lpath, data);
    expect(await irods.client.dataObjects.calculateChecksum(lpath)).toBe(sha2(data));
    expect((await irods.client.dataObjects.stat(lpath)).checksum).toBe(sha2(data));
    await irods.client.dataObjects.verifyChecksum(lpath);
  });

  it('renames, copies (refusing to overwrite unless asked) and touches', async () => {
    const a = `${base}/a.txt`;
    const b = `${base}/b.txt`;
    const c = `${base}/c.txt`;
    await irods.client.dataObjects.writeChunk(a, Buffer.from('A'));
    await irods.client.dataObjects.rename(a, b);
    expect(isNotFound(await failure(irods.client.dataObjects.stat(a)))).toBe(true);
    await irods.client.dataObjects.copy(b, c);
    expect((await irods.client.dataObjects.read(c)).toString()).toBe('A');
    await irods.client.dataObjects.writeChunk(b, Buffer.from('B2'));
    const exists = await failure(irods.client.dataObjects.copy(b, c));
    expect(isAlreadyExists(exists)).toBe(true);
    await irods.client.dataObjects.copy(b, c, { overwrite: true });
    expect((await irods.client.dataObjects.read(c)).toString()).toBe('B2');

    const touched = `${base}/touched.txt`;
    await irods.client.dataObjects.touch(touched);
    expect((await irods.client.dataObjects.stat(touched)).size).toBe(0);
  });

  it('removes a data object for good, or only from the catalog', async () => {
    const gone = `${base}/gone.txt`;
    await irods.client.dataObjects.writeChunk(gone, Buffer.from('bye'));
    await irods.client.dataObjects.remove(gone, { catalogOnly: false, noTrash: true });
    expect(isNotFound(await failure(irods.client.dataObjects.stat(gone)))).toBe(true);

    const unreg = `${base}/unregistered.txt`;
    await irods.client.dataObjects.writeChunk(unreg, Buffer.from('still on disk'));
    await irods.client.dataObjects.remove(unreg, { catalogOnly: true });
    expect(isNotFound(await failure(irods.client.dataObjects.stat(unreg)))).toBe(true);
  });

  it('applies permission and metadata batches on a data object', async () => {
    const user = await irods.makeUser('batchuser');
    const lpath = `${base}/batch.txt`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('b'));
    await irods.client.dataObjects.modifyPermissions(lpath, [{ entityName: user.name, acl: 'write' }]);
    expect((await irods.client.dataObjects.stat(lpath)).permissions).toContainEqual(
      expect.objectContaining({ name: user.name, perm: 'modify_object' }),
    );
    await irods.client.dataObjects.modifyMetadata(lpath, [
      { operation: 'add', attribute: 'omero.image', value: '42' },
      { operation: 'add', attribute: 'omero.name', value: 'cell.tif' },
    ]);
    await irods.client.dataObjects.modifyMetadata(lpath, [{ operation: 'remove', attribute: 'omero.name', value: 'cell.tif' }]);
    const rows = await irods.client.query.genqueryAll(
      `SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME = '${base}' AND DATA_NAME = 'batch.txt'`,
    );
    expect(rows).toEqual([['omero.image', '42']]);

    const err = await failure(
      irods.client.dataObjects.modifyPermissions(lpath, [
        { entityName: user.name, acl: 'null' },
        { entityName: 'ghost-user', acl: 'own' },
      ]),
    );
    expect(err.failedOperation?.index).toBe(1);
    expect((await irods.client.dataObjects.stat(lpath)).permissions).toContainEqual(
      expect.objectContaining({ name: user.name, perm: 'modify_object' }),
    );
  });

  it('registers a file already in storage as a data object', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const path = await import('node:path');
    const dir = path.join(irods.standin.vaultDir, 'register-test');
    await mkdir(dir, { recursive: true });
    const ppath = path.join(dir, 'image.ome.tiff');
    await writeFile(ppath, 'registered bytes');
    const lpath = `${base}/registered.ome.tiff`;
    await irods.client.dataObjects.register(lpath, ppath, { resource: 'demoResc', dataSize: 16 });
    const stat = await irods.client.dataObjects.stat(lpath);
    expect(stat.size).toBe(16);
    expect((await irods.client.dataObjects.read(lpath)).toString()).toBe('registered bytes');
  });

  it('opens a ranged reader with the size from stat', async () => {
    const lpath = `${base}/ranged-small.bin`;
    await irods.client.dataObjects.writeChunk(lpath, Buffer.from('abcdefghij'));
    const reader = await irods.client.dataObjects.openRanged(lpath);
    expect(reader.size).toBe(10);
    expect((await reader.read(8, 10)).toString()).toBe('ij');
  });
});
