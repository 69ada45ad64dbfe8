import { describe, expect, it } from 'vitest';
import { IrodsCode, IrodsError } from '../../../src/irods/errors.js';
import { pageRows, type PageRequest } from '../../../src/irods/genquery.js';

/** A GenQuery1 server in miniature: `total` distinct rows, every page clamped to `clamp`. */
function server(total: number, clamp: number) {
  const rows = Array.from({ length: total }, (_, i) => [`row-${i}`]);
  const requests: PageRequest[] = [];
  const fetch = (request: PageRequest): Promise<string[][]> => {
    requests.push(request);
    const count = Math.min(request.count ?? clamp, clamp);
    return Promise.resolve(rows.slice(request.offset, request.offset + count));
  };
  return { fetch, requests };
}

async function all(gen: AsyncIterable<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const row of gen) out.push(row);
  return out;
}

describe('pageRows', () => {
  it.each([
    [0, 15],
    [1, 15],
    [14, 15],
    [15, 15],
    [16, 15],
    [40, 15],
    [45, 15],
    [100, 7],
  ])('returns all %i rows in order past a clamp of %i', async (total, clamp) => {
    const s = server(total, clamp);
    const rows = await all(pageRows(s.fetch));
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: total }, (_, i) => `row-${i}`));
  });

  it('stops at a page shorter than one already received, without an extra request', async () => {
    const s = server(40, 15);
    await all(pageRows(s.fetch));
    expect(s.requests.map((r) => r.offset)).toEqual([0, 15, 30]);
  });

  it('asks once more after a result that is a multiple of the clamp', async () => {
    const s = server(30, 15);
    await all(pageRows(s.fetch));
    expect(s.requests.map((r) => r.offset)).toEqual([0, 15, 30]);
  });

  it('does not stop early when the clamp is below the requested page size', async () => {
    const s = server(50, 15);
    const rows = await all(pageRows(s.fetch, { pageSize: 100 }));
    expect(rows).toHaveLength(50);
    expect(s.requests.every((r) => r.count === 100)).toBe(true);
  });

  it('honours a page size below the clamp', async () => {
    const s = server(23, 15);
    const rows = await all(pageRows(s.fetch, { pageSize: 5 }));
    expect(rows).toHaveLength(23);
    expect(s.requests.map((r) => r.offset)).toEqual([0, 5, 10, 15, 20]);
  });

  it('reports a server that ignores offset instead of looping forever', async () => {
    const same = () => Promise.resolve([['a'], ['b']]);
    await expect(all(pageRows(same))).rejects.toThrow(/does not page/);
  });

  it('treats CAT_NO_ROWS_FOUND as the end of the result', async () => {
    const none = () =>
      Promise.reject(new IrodsError({ status: 200, code: IrodsCode.CAT_NO_ROWS_FOUND, op: 'query/execute_genquery', message: 'none' }));
    expect(await all(pageRows(none))).toEqual([]);
  });

  it('stops fetching when the consumer stops iterating', async () => {
    const s = server(100, 10);
    for await (const row of pageRows(s.fetch)) {
      if (row[0] === 'row-12') break;
    }
    expect(s.requests).toHaveLength(2);
  });
});
