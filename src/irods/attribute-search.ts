import type { QueryApi } from './types.js';

/** One AVU on a data object. */
export interface DataObjectAvu {
  readonly lpath: string;
  readonly value: string;
  /** '' when the AVU has no units. */
  readonly units: string;
}

/**
 * A GenQuery1 string literal, or undefined when the value cannot be one: GenQuery1 has no escape
 * for a single quote inside a literal (rcMisc.cpp, fillGenQueryInpFromStrCond, ends the literal at
 * the next quote).
 */
export function genqueryLiteral(value: string): string | undefined {
  return value.includes("'") ? undefined : `'${value}'`;
}

/** Thrown when a query cannot be written in GenQuery1 (a single quote in a literal). */
export class UnquotableQueryError extends Error {
  override readonly name = 'UnquotableQueryError';
  constructor(readonly value: string) {
    super(`GenQuery1 cannot quote ${JSON.stringify(value)} (it contains a single quote)`);
  }
}

/**
 * Every data object at or below the collection `root` that carries `attribute`, one entry per
 * AVU (an object with two values of it appears twice). `root` is matched as a LIKE prefix, so
 * `%` or `_` in it and sibling collections that share the prefix (`/zone/lab` and `/zone/lab2`)
 * may add rows: filter on `lpath`. Paged past the server's row clamp.
 */
export async function* dataObjectsWithAttribute(
  query: QueryApi,
  root: string,
  attribute: string,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<DataObjectAvu> {
  const collections = genqueryLiteral(`${root}%`);
  const name = genqueryLiteral(attribute);
  if (!collections) throw new UnquotableQueryError(root);
  if (!name) throw new UnquotableQueryError(attribute);
  const text =
    'SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS ' +
    `WHERE COLL_NAME like ${collections} AND META_DATA_ATTR_NAME = ${name}`;
  for await (const [coll = '', data = '', value = '', units = ''] of query.genquery(text, { signal: options.signal })) {
    yield { lpath: `${coll === '/' ? '' : coll}/${data}`, value, units };
  }
}
