import { describe, expect, it } from 'vitest';
import { dataObjectsWithAttribute } from '../../../src/irods/catalog/avus.js';
import { genqueryLiteral, UnquotableQueryError } from '../../../src/irods/catalog/genquery-text.js';
import type { QueryApi } from '../../../src/irods/types.js';

/** A QueryApi that records the query text and answers fixed rows. */
function fakeQuery(rows: string[][]): { api: QueryApi; asked: string[] } {
  const asked: string[] = [];
  const api: QueryApi = {
    async *genquery(query) {
      asked.push(query);
      yield* rows;
    },
    genqueryAll: async () => rows,
  };
  return { api, asked };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('dataObjectsWithAttribute', () => {
  it('asks for the objects under a root that carry the attribute, with value and units', async () => {
    const { api, asked } = fakeQuery([
      ['/tempZone/home/lab', 'run.zip', '1700000000', 'alice#tempZone'],
      ['/', 'top.zip', '1', ''],
    ]);
    expect(await all(dataObjectsWithAttribute(api, '/tempZone/home/lab', 'irods_omero_agent::landed'))).toEqual([
      { lpath: '/tempZone/home/lab/run.zip', value: '1700000000', units: 'alice#tempZone' },
      { lpath: '/top.zip', value: '1', units: '' },
    ]);
    expect(asked).toEqual([
      "SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME like '/tempZone/home/lab%' AND META_DATA_ATTR_NAME = 'irods_omero_agent::landed'",
    ]);
  });

  it('refuses a root or attribute GenQuery1 cannot quote, before asking', async () => {
    const { api, asked } = fakeQuery([]);
    await expect(all(dataObjectsWithAttribute(api, "/tempZone/home/o'brien", 'a'))).rejects.toBeInstanceOf(UnquotableQueryError);
    await expect(all(dataObjectsWithAttribute(api, '/tempZone/home', "it's"))).rejects.toBeInstanceOf(UnquotableQueryError);
    expect(asked).toEqual([]);
    expect(genqueryLiteral('/a b/%')).toBe("'/a b/%'");
  });
});
