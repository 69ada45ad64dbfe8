import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  avusUnder,
  canQuery,
  collectionAttributeValues,
  collectionAvus,
  dataObjectAvus,
  dataObjectsNamedLike,
  dataObjectsUnder,
  goodObjectsUnder,
  latestGoodReplica,
  listReplicas,
  logicalQuotasOver,
  nearestCollectionWithAttribute,
  readTreeAcls,
  UnquotableQueryError,
  usersById,
  type QueryApi,
} from '../../../src/irods/index.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

/** The catalog layer (src/irods/catalog) against the HTTP API stand-in: each typed question, and the quoting rule. */

let irods: IrodsForTest;
let query: QueryApi;
const root = '/tempZone/home/rods/catalog';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The client's QueryApi, counting the queries it is asked. */
function counting(inner: QueryApi): { api: QueryApi; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    api: {
      genquery(text, options) {
        asked.push(text);
        return inner.genquery(text, options);
      },
      genqueryAll(text, options) {
        asked.push(text);
        return inner.genqueryAll(text, options);
      },
    },
  };
}

beforeAll(async () => {
  irods = await startIrodsForTest();
  const c = irods.client;
  query = c.query;
  await c.collections.create(`${root}/sub`, { intermediates: true });
  await c.collections.create(`${root}2`);
  await c.dataObjects.writeChunk(`${root}/run.zip`, Buffer.from('zip'));
  await c.dataObjects.writeChunk(`${root}/sub/b.tif`, Buffer.from('bbbbb'));
  await c.dataObjects.writeChunk(`${root}2/other.zip`, Buffer.from('z'));
  await c.dataObjects.modifyMetadata(`${root}/sub/b.tif`, [
    { operation: 'add', attribute: 'irods_omero_agent::omero_image', value: '7', units: 'image' },
    { operation: 'add', attribute: 'irods_omero_agent::omero_server', value: 'omero.example.org' },
    // `_` is a GenQuery wildcard: `irods_omero_agent::omero_%` matches this too, and it is not ours.
    { operation: 'add', attribute: 'irods_omero_agent::omeroXnote', value: 'user' },
  ]);
  await c.dataObjects.modifyMetadata(`${root}2/other.zip`, [{ operation: 'add', attribute: 'irods_omero_agent::omero_image', value: '9' }]);
  await c.collections.modifyMetadata(root, [
    { operation: 'add', attribute: 'irods_omero_agent::omero_server', value: 'omero.example.org' },
    { operation: 'add', attribute: 'irods_omero_agent::source_job', value: 'job-1' },
    { operation: 'add', attribute: 'irods::logical_quotas::maximum_number_of_data_objects', value: '10' },
  ]);
});
afterAll(async () => {
  await irods?.close();
});

describe('catalog layer: objects and replicas', () => {
  it('lists good objects under a root, never a sibling that shares its prefix', async () => {
    expect([...(await goodObjectsUnder(query, root)).keys()].sort()).toEqual([`${root}/run.zip`, `${root}/sub/b.tif`]);
    expect((await dataObjectsUnder(query, root)).map((o) => o.lpath)).toEqual([`${root}/run.zip`, `${root}/sub/b.tif`]);
  });

  it('finds objects by name suffix under a text prefix, with what the sweeper judges them by', async () => {
    const found = await all(dataObjectsNamedLike(query, root, ['.zip', ".z'p"]));
    expect(found.map((o) => o.lpath).sort()).toEqual([`${root}/run.zip`, `${root}2/other.zip`]);
    const run = found.find((o) => o.lpath === `${root}/run.zip`);
    expect(run).toMatchObject({ size: 3, owner: 'rods' });
    expect(run?.modifiedAt).toBeInstanceOf(Date);
  });

  it('lists the replicas of an object and picks the good one', async () => {
    const replicas = await listReplicas(query, `${root}/run.zip`);
    expect(replicas.map((r) => [r.number, r.status, r.size])).toEqual([[0, 'good', 3]]);
    expect(latestGoodReplica(replicas)?.number).toBe(0);
    expect(await listReplicas(query, `${root}/absent.zip`)).toEqual([]);
  });
});

describe('catalog layer: AVUs', () => {
  it('reads the AVUs under a root by prefix, data objects and collections, filtering GenQuery wildcards and siblings', async () => {
    const found = await avusUnder(query, root, 'irods_omero_agent::omero_');
    expect([...found.keys()]).toEqual([`${root}/sub/b.tif`, root]);
    expect(found.get(`${root}/sub/b.tif`)).toEqual({
      kind: 'data_object',
      avus: expect.arrayContaining([
        { attribute: 'irods_omero_agent::omero_image', value: '7', units: 'image' },
        { attribute: 'irods_omero_agent::omero_server', value: 'omero.example.org' },
      ]),
    });
    expect(found.get(`${root}/sub/b.tif`)?.avus).toHaveLength(2);
    expect(found.get(root)).toEqual({ kind: 'collection', avus: [{ attribute: 'irods_omero_agent::omero_server', value: 'omero.example.org' }] });
  });

  it('reads one object or collection by prefix, and the values of one collection attribute', async () => {
    expect((await dataObjectAvus(query, `${root}/sub/b.tif`, 'irods_omero_agent::omero_')).map((a) => a.attribute)).toEqual([
      'irods_omero_agent::omero_image',
      'irods_omero_agent::omero_server',
    ]);
    expect((await collectionAvus(query, root, 'irods_omero_agent::')).map((a) => a.value)).toEqual(['omero.example.org', 'job-1']);
    expect(await collectionAttributeValues(query, root, 'irods_omero_agent::source_job')).toEqual(['job-1']);
    expect(await collectionAttributeValues(query, `${root}/sub`, 'irods_omero_agent::source_job')).toEqual([]);
  });

  it('finds the nearest collection above carrying an attribute, and the logical quotas over a collection', async () => {
    expect(await nearestCollectionWithAttribute(query, `${root}/sub`, 'irods_omero_agent::omero_server')).toEqual({ collection: root, values: ['omero.example.org'] });
    expect(await nearestCollectionWithAttribute(query, `${root}2`, 'irods_omero_agent::omero_server')).toBeUndefined();
    expect((await logicalQuotasOver(query, `${root}/sub`)).map((q) => [q.collection, q.maxObjects])).toEqual([[root, 10]]);
  });
});

describe('catalog layer: ACLs, users and groups', () => {
  it('reads the ACLs of a tree and names their principals', async () => {
    await irods.client.users.createGroup('catalog_readers');
    await irods.client.dataObjects.setPermission(`${root}/run.zip`, 'catalog_readers', 'read');
    const acls = await readTreeAcls(query, root);
    expect(acls?.dataObjects.get(`${root}/run.zip`)?.permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'rods', perm: 'own' }),
        expect.objectContaining({ name: 'catalog_readers', type: 'rodsgroup', perm: 'read_object' }),
      ]),
    );
    expect(acls?.collections.has(`${root}/sub`)).toBe(true);
    expect(acls?.dataObjects.has(`${root}2/other.zip`)).toBe(false);
  });

  it('names users and groups by id, leaving out ids that are no one or not numbers', async () => {
    const rods = await irods.client.users.stat('rods');
    const id = rods.exists ? (rods.id ?? '') : '';
    const found = await usersById(query, [id, '999999999', "1' or '1"]);
    expect([...found.entries()]).toEqual([[id, { name: 'rods', zone: 'tempZone', type: 'rodsadmin' }]]);
  });
});

describe('catalog layer: quoting', () => {
  const quoted = "/tempZone/home/o'brien";
  it('refuses a path with a single quote clearly, naming it, before any query is sent', async () => {
    const { api, asked } = counting(query);
    const refusals: Promise<unknown>[] = [
      dataObjectsUnder(api, quoted),
      goodObjectsUnder(api, quoted),
      all(dataObjectsNamedLike(api, quoted, ['.zip'])),
      listReplicas(api, `${quoted}/a.zip`),
      avusUnder(api, quoted, 'omero.'),
      dataObjectAvus(api, `${quoted}/a.zip`),
      collectionAvus(api, quoted),
      collectionAttributeValues(api, quoted, 'a'),
      collectionAttributeValues(api, root, "it's"),
      nearestCollectionWithAttribute(api, `${quoted}/sub`, 'a'),
      logicalQuotasOver(api, `${quoted}/sub`),
    ];
    for (const refusal of refusals) {
      const err: unknown = await refusal.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnquotableQueryError);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(/GenQuery1 cannot quote ".*'.*" \(it contains a single quote\)/);
    }
    expect(asked).toEqual([]);
  });

  it('says which values it can ask about at all', () => {
    expect(canQuery(root)).toBe(true);
    expect(canQuery(quoted)).toBe(false);
  });

  it('answers "cannot read in bulk" for the ACLs of such a tree, so the caller stats each object', async () => {
    const { api, asked } = counting(query);
    expect(await readTreeAcls(api, quoted)).toBeUndefined();
    expect(asked).toEqual([]);
  });
});
