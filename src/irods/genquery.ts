import type { ClientContext } from './client-context.js';
import { IrodsCode, IrodsError } from './errors.js';
import type { QueryApi } from './types.js';

/** One page request: rows from `offset`, at most `count` (undefined: the server's maximum). */
export interface PageRequest {
  readonly offset: number;
  readonly count: number | undefined;
}

export type PageFetch = (request: PageRequest) => Promise<string[][]>;

/**
 * Pages through a GenQuery1 result. The server clamps every page to its configured maximum
 * (`max_number_of_rows_per_catalog_query`, 15 by default) without saying so, so a short page
 * does not by itself mean the end: the client cannot tell "15 rows left" from "clamped to 15".
 * The rule here:
 * - an empty page is the end;
 * - a page shorter than the longest page already received for this query is the end (the
 *   server showed it can deliver more, and only gives fewer when no more rows exist);
 * - otherwise ask again at offset + rows received.
 * So the first page is always followed by one more request unless the second proves the end,
 * and the only wasted request is the empty one after a result whose size is a multiple of the
 * clamp. A server that ignores `offset` would repeat the same page; with distinct rows (the
 * default) two identical consecutive pages cannot happen, so that is reported instead of
 * looping forever.
 */
export async function* pageRows(fetchPage: PageFetch, options: { pageSize?: number | undefined; signal?: AbortSignal | undefined } = {}): AsyncGenerator<string[]> {
  const count = options.pageSize;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new RangeError(`pageSize must be a positive integer, got ${count}`);
  let offset = 0;
  let longest = 0;
  let previous: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    let rows: string[][];
    try {
      rows = await fetchPage({ offset, count });
    } catch (err) {
      // Some iRODS versions report an empty result as CAT_NO_ROWS_FOUND instead of no rows.
      if (err instanceof IrodsError && err.code === IrodsCode.CAT_NO_ROWS_FOUND) return;
      throw err;
    }
    if (rows.length === 0) return;
    const fingerprint = JSON.stringify(rows);
    if (fingerprint === previous) {
      throw new IrodsError({
        status: 200,
        op: 'query/execute_genquery',
        message: `query/execute_genquery failed: the server returned the same ${rows.length} rows for offsets ${offset - rows.length} and ${offset}; it does not page`,
      });
    }
    previous = fingerprint;
    for (const row of rows) yield row;
    offset += rows.length;
    if (rows.length < longest) return;
    longest = rows.length;
  }
}

function toRows(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  return value.filter(Array.isArray).map((row: unknown[]) => row.map((cell) => (typeof cell === 'string' ? cell : String(cell))));
}

/**
 * The GenQuery1 text with its `SELECT` and `WHERE` keywords in lower case. The iRODS client
 * library parses the text before the server sees it (lib/core/src/rcMisc.cpp,
 * fillGenQueryInpFromStrCond, which the HTTP API calls) and finds each keyword by substring,
 * the lower-case spelling first: in `SELECT … WHERE COLL_NAME = '/tempZone/home/alice/nowhere'`
 * it takes the `where` of the path for the keyword, and a path holding `select` derails the
 * query the same way. Lower-case keywords come before any literal, so they are found first.
 * Only the text before the first quote is touched.
 */
export function withLowercaseKeywords(query: string): string {
  const quote = query.indexOf("'");
  const head = quote < 0 ? query : query.slice(0, quote);
  const rest = quote < 0 ? '' : query.slice(quote);
  return head.replace(/^(\s*)SELECT\b/, '$1select').replace(/\bWHERE\b/, 'where') + rest;
}

/** /query execute_genquery with parser=genquery1. */
export function createQueryApi(ctx: ClientContext): QueryApi {
  const fetcher =
    (query: string, zone: string | undefined, signal: AbortSignal | undefined): PageFetch =>
    async ({ offset, count }) => {
      const body = await ctx.transport.json({
        method: 'GET',
        endpoint: 'query',
        op: 'execute_genquery',
        params: { query: withLowercaseKeywords(query), parser: 'genquery1', offset, count, zone },
        signal,
        idempotent: true,
      });
      return toRows(body.rows);
    };

  const api: QueryApi = {
    genquery(query, options) {
      return pageRows(fetcher(query, options?.zone, options?.signal), { pageSize: options?.pageSize, signal: options?.signal });
    },
    async genqueryAll(query, options) {
      const rows: string[][] = [];
      for await (const row of api.genquery(query, options)) rows.push(row);
      return rows;
    },
  };
  return api;
}
