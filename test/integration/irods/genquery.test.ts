import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsError } from '../../../src/irods/errors.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

interface Sample {
  op: string;
  status: number;
}

describe('iRODS client: GenQuery paging', () => {
  let irods: IrodsForTest;
  let base: string;
  const names = Array.from({ length: 40 }, (_, i) => `obj-${String(i).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    irods = await startIrodsForTest({ maxRowsPerQuery: 15 });
    base = `${irods.home()}/query-test`;
    await irods.client.collections.create(base);
    for (const name of names) {
      const lpath = `${base}/${name}`;
      await irods.client.dataObjects.writeChunk(lpath, Buffer.from(name));
      await irods.client.dataObjects.modifyMetadata(lpath, [{ operation: 'add', attribute: 'omero.tag', value: 'paged' }]);
    }
    await irods.client.dataObjects.writeChunk(`${base}/untagged.txt`, Buffer.from('x'));
  });
  afterAll(async () => {
    await irods.close();
  });

  const query = () => `SELECT DATA_NAME WHERE COLL_NAME = '${base}' AND META_DATA_ATTR_NAME = 'omero.tag' AND META_DATA_ATTR_VALUE = 'paged'`;

  it('returns all 40 tagged objects across pages clamped to 15 rows', async () => {
    const samples: Sample[] = [];
    const client = irods.clientFor('rods', 'rods', { onRequest: (s) => samples.push(s) });
    const rows = await client.query.genqueryAll(query());
    expect(rows.map((r) => r[0]).sort()).toEqual(names);
    // 15 + 15 + 10: the short third page ends it without a fourth request.
    expect(samples.filter((s) => s.op === 'query/execute_genquery')).toHaveLength(3);
  });

  it('pages with a requested page size larger than the clamp without stopping early', async () => {
    const rows = await irods.client.query.genqueryAll(query(), { pageSize: 100 });
    expect(rows).toHaveLength(40);
  });

  it('pages with a small page size', async () => {
    const rows = await irods.client.query.genqueryAll(query(), { pageSize: 7 });
    expect(new Set(rows.map((r) => r[0])).size).toBe(40);
  });

  it('streams rows lazily and stops asking when the consumer stops', async () => {
    const samples: Sample[] = [];
    const client = irods.clientFor('rods', 'rods', { onRequest: (s) => samples.push(s) });
    let seen = 0;
    for await (const _row of client.query.genquery(query())) {
      if (++seen === 16) break;
    }
    expect(samples.filter((s) => s.op === 'query/execute_genquery')).toHaveLength(2);
  });

  it('returns no rows for a query that matches nothing', async () => {
    expect(await irods.client.query.genqueryAll(`SELECT DATA_NAME WHERE COLL_NAME = '${base}/absent'`)).toEqual([]);
  });

  it('reports a malformed query as an IrodsError', async () => {
    await expect(irods.client.query.genqueryAll('SELECT NOT_A_COLUMN')).rejects.toBeInstanceOf(IrodsError);
  });

  it('finds only what a rodsuser may see', async () => {
    const user = await irods.makeUser('querier');
    expect(await user.client.query.genqueryAll(query())).toEqual([]);
    await irods.client.collections.setPermission(base, user.name, 'read');
    await irods.client.dataObjects.setPermission(`${base}/${names[3]}`, user.name, 'read');
    expect(await user.client.query.genqueryAll(query())).toEqual([[names[3]]]);
  });
});
