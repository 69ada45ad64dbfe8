import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const ALICE = '/tempZone/home/alice';

describe('iRODS HTTP API stand-in: GenQuery1', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    target = await openApiTarget({
      users: [
        { name: 'alice', password: 'alicepass' },
        { name: 'bob', password: 'bobpass' },
      ],
    });
    base = target.baseUrl;
    [rods, alice, bob] = await Promise.all([tokenFor(base, 'rods', ADMIN_PASSWORD), tokenFor(base, 'alice', 'alicepass'), tokenFor(base, 'bob', 'bobpass')]);
    await post(base, 'collections', alice, { op: 'create', lpath: `${ALICE}/images` });
    for (let i = 0; i < 40; i += 1) {
      const name = `img_${String(i).padStart(2, '0')}.tif`;
      await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/images/${name}`, bytes: 'x'.repeat(i) });
    }
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/images/notes.txt`, bytes: 'notes' });
    await post(base, 'data-objects', alice, {
      op: 'modify_metadata',
      lpath: `${ALICE}/images/img_07.tif`,
      operations: JSON.stringify([
        { operation: 'add', attribute: 'omero.image.id', value: '42' },
        { operation: 'add', attribute: 'omero.dataset', value: 'd1', units: 'name' },
      ]),
    });
    await post(base, 'collections', alice, {
      op: 'modify_metadata',
      lpath: `${ALICE}/images`,
      operations: JSON.stringify([{ operation: 'add', attribute: 'omero.project', value: 'p1' }]),
    });
  });

  afterAll(async () => {
    await target.close();
  });

  const query = (token: string, text: string, extra: Record<string, string | number> = {}) =>
    get(base, 'query', token, { op: 'execute_genquery', query: text, ...extra });

  it('returns rows of strings for conditions with = and like, ordered by collection and name', async () => {
    const response = await query(alice, `select COLL_NAME, DATA_NAME, DATA_SIZE where COLL_NAME = '${ALICE}/images' and DATA_NAME like 'img_0%'`, { count: 3 });
    expect(response.json).toEqual({
      irods_response: { status_code: 0 },
      rows: [
        [`${ALICE}/images`, 'img_00.tif', '0'],
        [`${ALICE}/images`, 'img_01.tif', '1'],
        [`${ALICE}/images`, 'img_02.tif', '2'],
      ],
    });
  });

  it('clamps rows per call to 15 and pages exactly with offset and count', async () => {
    const all: string[][] = [];
    for (let offset = 0; ; offset += 15) {
      const page = await query(alice, `select DATA_NAME where COLL_NAME = '${ALICE}/images' and DATA_NAME like '%.tif'`, { offset, count: 100 });
      const rows = page.json?.rows as string[][];
      expect(rows.length).toBeLessThanOrEqual(15);
      all.push(...rows);
      if (rows.length < 15) break;
    }
    expect(all).toHaveLength(40);
    expect(new Set(all.map((r) => r[0])).size).toBe(40);
    expect((await query(alice, `select DATA_NAME where COLL_NAME = '${ALICE}/images'`, { count: 0 })).json?.rows).toHaveLength(1);
  });

  it('supports <>, not like, in, comparisons, aggregates and order_desc', async () => {
    const rows = async (text: string) => (await query(alice, text)).json?.rows as string[][] | undefined;
    expect(await rows(`select DATA_NAME where COLL_NAME = '${ALICE}/images' and DATA_NAME not like 'img%'`)).toEqual([['notes.txt']]);
    expect(await rows(`select DATA_NAME where DATA_NAME in ('img_03.tif', 'notes.txt')`)).toEqual([['img_03.tif'], ['notes.txt']]);
    expect(await rows(`select DATA_NAME where COLL_NAME = '${ALICE}/images' and DATA_SIZE > '37'`)).toEqual([['img_38.tif'], ['img_39.tif']]);
    expect(await rows(`select DATA_NAME where COLL_NAME = '${ALICE}/images' and DATA_NAME <> 'notes.txt' and DATA_SIZE >= '39'`)).toEqual([['img_39.tif']]);
    expect(await rows(`select count(DATA_ID), sum(DATA_SIZE) where COLL_NAME = '${ALICE}/images'`)).toEqual([['41', String((39 * 40) / 2 + 5)]]);
    expect(await rows(`select order_desc(DATA_NAME) where COLL_NAME like '${ALICE}/%' and DATA_NAME like 'img_3%'`)).toHaveLength(10);
    expect((await rows(`select order_desc(DATA_NAME) where COLL_NAME like '${ALICE}/%' and DATA_NAME like 'img_3%'`))?.[0]).toEqual(['img_39.tif']);
  });

  it('finds objects and collections by AVU', async () => {
    const byAvu = await query(alice, "select COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE where META_DATA_ATTR_NAME = 'omero.image.id'");
    expect(byAvu.json?.rows).toEqual([[`${ALICE}/images`, 'img_07.tif', '42']]);
    const units = await query(alice, "select META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS where DATA_NAME = 'img_07.tif'");
    expect(units.json?.rows).toEqual([
      ['omero.dataset', 'd1', 'name'],
      ['omero.image.id', '42', ''],
    ]);
    const coll = await query(alice, "select COLL_NAME, META_COLL_ATTR_VALUE where META_COLL_ATTR_NAME = 'omero.project'");
    expect(coll.json?.rows).toEqual([[`${ALICE}/images`, 'p1']]);
  });

  it('returns only what the caller may see', async () => {
    expect((await query(bob, `select DATA_NAME where COLL_NAME = '${ALICE}/images'`)).json?.rows).toEqual([]);
    expect((await query(rods, `select count(DATA_NAME) where COLL_NAME = '${ALICE}/images'`)).json?.rows).toEqual([['41']]);
    await post(base, 'data-objects', alice, { op: 'set_permission', lpath: `${ALICE}/images/notes.txt`, 'entity-name': 'bob', permission: 'read' });
    // Read on the object alone is not enough once the query joins its collection (STRICT).
    expect((await query(bob, `select DATA_NAME where COLL_NAME = '${ALICE}/images'`)).json?.rows).toEqual([]);
    expect((await query(bob, "select DATA_NAME where DATA_NAME = 'notes.txt'")).json?.rows).toEqual([['notes.txt']]);
    await post(base, 'collections', alice, { op: 'set_permission', lpath: `${ALICE}/images`, 'entity-name': 'bob', permission: 'read' });
    expect((await query(bob, `select DATA_NAME where COLL_NAME = '${ALICE}/images'`)).json?.rows).toEqual([['notes.txt']]);
  });

  it('lists users and permissions through the user and access columns', async () => {
    const users = await query(bob, "select USER_NAME, USER_TYPE where USER_TYPE = 'rodsuser'");
    expect(users.json?.rows).toEqual([
      ['alice', 'rodsuser'],
      ['bob', 'rodsuser'],
    ]);
    const access = await query(alice, `select USER_NAME, DATA_ACCESS_NAME where COLL_NAME = '${ALICE}/images' and DATA_NAME = 'notes.txt'`);
    expect(access.json?.rows).toEqual([
      ['alice', 'own'],
      ['bob', 'read_object'],
    ]);
    const groups = await query(alice, "select USER_GROUP_NAME where USER_NAME = 'alice'");
    expect(groups.json?.rows).toEqual([['alice'], ['public']]);
  });

  it('answers malformed queries with a negative status code and GenQuery2 with a clear 400', async () => {
    const unknown = await query(alice, 'select NO_SUCH_COLUMN');
    expect(unknown.status).toBe(200);
    expect(statusCode(unknown)).toBe(CODES.NO_COLUMN_NAME_FOUND);
    expect(statusCode(await query(alice, 'DATA_NAME'))).toBeLessThan(0);
    const gq2 = await query(alice, 'select DATA_NAME', { parser: 'genquery2' });
    expect(gq2.status).toBe(400);
    expect((await query(alice, 'select DATA_NAME', { parser: 'sql' })).status).toBe(400);
  });

  it('compares case-insensitively with case-sensitive=0', async () => {
    const rows = await query(alice, `select DATA_NAME where COLL_NAME = '${ALICE}/images' and DATA_NAME = 'notes.txt'`, { 'case-sensitive': 0 });
    expect(rows.json?.rows).toEqual([['notes.txt']]);
  });
});
