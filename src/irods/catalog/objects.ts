import type { QueryApi } from '../types.js';
import { canQuery, equals, genquery1, like } from './genquery-text.js';
import { isWithin, joinLpath } from './lpaths.js';

export interface CatalogObject {
  readonly lpath: string;
  readonly size: number;
  readonly checksum: string;
}

/** A data object found by name, with what the sweeper needs to judge it. */
export interface NamedObject {
  readonly lpath: string;
  /** undefined when the catalog's size is not a number. */
  readonly size: number | undefined;
  /** undefined when none was computed. */
  readonly checksum: string | undefined;
  /** DATA_MODIFY_TIME; undefined when not a number. */
  readonly modifiedAt: Date | undefined;
  readonly owner: string;
}

/** One row per replica of every data object at or below `root` (sibling trees filtered out). */
async function* replicaRowsUnder(query: QueryApi, root: string, conditions: readonly string[], signal: AbortSignal | undefined): AsyncGenerator<CatalogObject> {
  const text = genquery1(['COLL_NAME', 'DATA_NAME', 'DATA_SIZE', 'DATA_CHECKSUM'], [like('COLL_NAME', `${root}%`), ...conditions]);
  for await (const [coll = '', name = '', size = '0', checksum = ''] of query.genquery(text, { signal })) {
    if (isWithin(root, coll)) yield { lpath: joinLpath(coll, name), size: Number(size), checksum };
  }
}

/** Every data object in `root` and below (one entry per object, its first replica's size and checksum), by path. */
export async function dataObjectsUnder(query: QueryApi, root: string, signal?: AbortSignal): Promise<CatalogObject[]> {
  const found = new Map<string, CatalogObject>();
  for await (const object of replicaRowsUnder(query, root, [], signal)) if (!found.has(object.lpath)) found.set(object.lpath, object);
  return [...found.values()].sort((a, b) => a.lpath.localeCompare(b.lpath));
}

/** Good replicas of the data objects below `root` (root included), by lpath: what a resumed run may keep. */
export async function goodObjectsUnder(query: QueryApi, root: string, signal?: AbortSignal): Promise<Map<string, { size: number; checksum: string | undefined }>> {
  const found = new Map<string, { size: number; checksum: string | undefined }>();
  for await (const { lpath, size, checksum } of replicaRowsUnder(query, root, [equals('DATA_REPL_STATUS', '1')], signal)) {
    found.set(lpath, { size, checksum: checksum || undefined });
  }
  return found;
}

const numberOrUndefined = (text: string): number | undefined => {
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * The data objects whose collection starts with `collectionPrefix` (a text prefix: siblings that
 * share it match too) and whose name ends with one of `nameSuffixes`, one row per replica
 * (callers keep one per path). A suffix GenQuery1 cannot quote matches nothing and is skipped; a
 * prefix it cannot quote throws UnquotableQueryError before anything is asked.
 */
export async function* dataObjectsNamedLike(
  query: QueryApi,
  collectionPrefix: string,
  nameSuffixes: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<NamedObject> {
  const collections = like('COLL_NAME', `${collectionPrefix}%`);
  for (const suffix of nameSuffixes) {
    if (!canQuery(suffix)) continue;
    const text = genquery1(
      ['COLL_NAME', 'DATA_NAME', 'DATA_SIZE', 'DATA_CHECKSUM', 'DATA_MODIFY_TIME', 'DATA_OWNER_NAME'],
      [collections, like('DATA_NAME', `%${suffix}`)],
    );
    for await (const [coll = '', name = '', size = '', checksum = '', modify = '', owner = ''] of query.genquery(text, { signal })) {
      const seconds = numberOrUndefined(modify);
      yield {
        lpath: joinLpath(coll, name),
        size: numberOrUndefined(size),
        checksum: checksum || undefined,
        modifiedAt: seconds === undefined ? undefined : new Date(seconds * 1000),
        owner,
      };
    }
  }
}
