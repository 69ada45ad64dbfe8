import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionAvus, dataObjectAvus, dataObjectsUnder, dataObjectPathsWithAttribute } from '../../../src/irods/index.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

/** The typed catalog questions over GenQuery1, against the HTTP API stand-in. */

let irods: IrodsForTest;
const root = '/tempZone/home/rods/tree';

beforeAll(async () => {
  irods = await startIrodsForTest();
  const c = irods.client;
  await c.collections.create(`${root}/sub`, { intermediates: true });
  await c.collections.create(`${root}2`);
  await c.dataObjects.writeChunk(`${root}/a.txt`, Buffer.from('aaa'));
  await c.dataObjects.writeChunk(`${root}/sub/b.tif`, Buffer.from('bbbbb'));
  await c.dataObjects.writeChunk(`${root}2/c.txt`, Buffer.from('c'));
  await c.dataObjects.modifyMetadata(`${root}/sub/b.tif`, [
    { operation: 'add', attribute: 'omero.image.id', value: '7', units: 'image:7' },
    { operation: 'add', attribute: 'lab.note', value: 'kept' },
  ]);
  await c.collections.modifyMetadata(root, [{ operation: 'add', attribute: 'omero.project.name', value: 'p', units: 'project:1' }]);
});
afterAll(async () => {
  await irods?.close();
});

describe('catalog queries', () => {
  it('list the data objects of a tree, and only of that tree (not a sibling sharing its prefix)', async () => {
    expect((await dataObjectsUnder(irods.client.query, root)).map((o) => [o.lpath, o.size])).toEqual([
      [`${root}/a.txt`, 3],
      [`${root}/sub/b.tif`, 5],
    ]);
    expect(await dataObjectPathsWithAttribute(irods.client.query, root, 'omero.image.id')).toEqual([`${root}/sub/b.tif`]);
  });

  it('read the AVUs of a data object or a collection, by attribute prefix', async () => {
    expect(await dataObjectAvus(irods.client.query, `${root}/sub/b.tif`, 'omero.')).toEqual([{ attribute: 'omero.image.id', value: '7', units: 'image:7' }]);
    expect((await dataObjectAvus(irods.client.query, `${root}/sub/b.tif`)).map((a) => a.attribute)).toEqual(['lab.note', 'omero.image.id']);
    expect(await collectionAvus(irods.client.query, root, 'omero.')).toEqual([{ attribute: 'omero.project.name', value: 'p', units: 'project:1' }]);
  });

  it("refuse a path GenQuery1 cannot quote (a single quote) instead of sending a broken query", async () => {
    await expect(dataObjectsUnder(irods.client.query, "/tempZone/home/o'brien")).rejects.toThrow(RangeError);
  });
});
