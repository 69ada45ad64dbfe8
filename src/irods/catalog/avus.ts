import type { Avu, AvuHolderKind } from '../avu-rules.js';
import type { QueryApi } from '../types.js';
import { equals, genquery1, inList, like } from './genquery-text.js';
import { collectionAndAncestors, isWithin, joinLpath, splitLpath } from './lpaths.js';

/** The AVUs one collection or data object carries. */
export interface AvuHolder {
  readonly kind: AvuHolderKind;
  readonly avus: Avu[];
}

/** iRODS reads "no units" back as '': an AVU without units is written without the key. */
const avuOf = (attribute: string, value: string, units: string): Avu => (units ? { attribute, value, units } : { attribute, value });

/**
 * `attribute like 'prefix%'`, when there is a prefix. `_` and `%` in it are wildcards
 * (`irods_omero_agent::` matches more than itself), so rows are filtered with startsWith too.
 */
const prefixConditions = (column: string, prefix: string): string[] => (prefix ? [like(column, `${prefix}%`)] : []);

const byAttributeThenValue = (a: Avu, b: Avu): number => a.attribute.localeCompare(b.attribute) || a.value.localeCompare(b.value);

async function avusFrom(query: QueryApi, text: string, prefix: string, signal: AbortSignal | undefined): Promise<Avu[]> {
  const avus: Avu[] = [];
  for await (const [attribute = '', value = '', units = ''] of query.genquery(text, { signal })) {
    if (attribute.startsWith(prefix)) avus.push(avuOf(attribute, value, units));
  }
  return avus.sort(byAttributeThenValue);
}

/** The AVUs of one data object whose attribute starts with `prefix` (all when empty), by attribute and value. */
export async function dataObjectAvus(query: QueryApi, lpath: string, prefix = '', signal?: AbortSignal): Promise<Avu[]> {
  const { collection, name } = splitLpath(lpath);
  const text = genquery1(
    ['META_DATA_ATTR_NAME', 'META_DATA_ATTR_VALUE', 'META_DATA_ATTR_UNITS'],
    [equals('COLL_NAME', collection), equals('DATA_NAME', name), ...prefixConditions('META_DATA_ATTR_NAME', prefix)],
  );
  return avusFrom(query, text, prefix, signal);
}

/** The AVUs of one collection whose attribute starts with `prefix` (all when empty), by attribute and value. */
export async function collectionAvus(query: QueryApi, lpath: string, prefix = '', signal?: AbortSignal): Promise<Avu[]> {
  const text = genquery1(
    ['META_COLL_ATTR_NAME', 'META_COLL_ATTR_VALUE', 'META_COLL_ATTR_UNITS'],
    [equals('COLL_NAME', lpath), ...prefixConditions('META_COLL_ATTR_NAME', prefix)],
  );
  return avusFrom(query, text, prefix, signal);
}

/** The values of the AVUs named `attribute` on one collection, as the catalog lists them. */
export async function collectionAttributeValues(query: QueryApi, collection: string, attribute: string, signal?: AbortSignal): Promise<string[]> {
  const values: string[] = [];
  for await (const [value = ''] of query.genquery(genquery1(['META_COLL_ATTR_VALUE'], [equals('COLL_NAME', collection), equals('META_COLL_ATTR_NAME', attribute)]), { signal })) {
    values.push(value);
  }
  return values;
}

/** What avusUnder may be told besides the prefix. */
export interface AvusUnderOptions {
  readonly signal?: AbortSignal | undefined;
  /** Keeps only the attributes it accepts among those with the prefix (e.g. one OMERO server's of all servers'). */
  readonly keep?: ((attribute: string) => boolean) | undefined;
}

/**
 * Every collection and data object at or below `root` carrying AVUs whose attribute starts with
 * `prefix` (and that `keep` accepts), with those AVUs (in catalog order), by lpath: data objects
 * first, then collections. Two paged queries whatever the size of the tree.
 */
export async function avusUnder(query: QueryApi, root: string, prefix: string, options: AvusUnderOptions = {}): Promise<Map<string, AvuHolder>> {
  const { signal, keep } = options;
  const out = new Map<string, AvuHolder>();
  const add = (lpath: string, kind: AvuHolderKind, attribute: string, value: string, units: string): void => {
    if (!attribute.startsWith(prefix) || (keep !== undefined && !keep(attribute))) return;
    const holder = out.get(lpath) ?? { kind, avus: [] };
    holder.avus.push(avuOf(attribute, value, units));
    out.set(lpath, holder);
  };
  const objects = genquery1(
    ['COLL_NAME', 'DATA_NAME', 'META_DATA_ATTR_NAME', 'META_DATA_ATTR_VALUE', 'META_DATA_ATTR_UNITS'],
    [like('COLL_NAME', `${root}%`), ...prefixConditions('META_DATA_ATTR_NAME', prefix)],
  );
  for await (const [coll = '', name = '', attribute = '', value = '', units = ''] of query.genquery(objects, { signal })) {
    if (isWithin(root, coll)) add(joinLpath(coll, name), 'data_object', attribute, value, units);
  }
  const collections = genquery1(
    ['COLL_NAME', 'META_COLL_ATTR_NAME', 'META_COLL_ATTR_VALUE', 'META_COLL_ATTR_UNITS'],
    [like('COLL_NAME', `${root}%`), ...prefixConditions('META_COLL_ATTR_NAME', prefix)],
  );
  for await (const [coll = '', attribute = '', value = '', units = ''] of query.genquery(collections, { signal })) {
    if (isWithin(root, coll)) add(coll, 'collection', attribute, value, units);
  }
  return out;
}

/** One AVU on a data object. */
export interface DataObjectAvu {
  readonly lpath: string;
  readonly value: string;
  /** '' when the AVU has no units. */
  readonly units: string;
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
  const text = genquery1(
    ['COLL_NAME', 'DATA_NAME', 'META_DATA_ATTR_VALUE', 'META_DATA_ATTR_UNITS'],
    [like('COLL_NAME', `${root}%`), equals('META_DATA_ATTR_NAME', attribute)],
  );
  for await (const [coll = '', data = '', value = '', units = ''] of query.genquery(text, { signal: options.signal })) {
    yield { lpath: joinLpath(coll, data), value, units };
  }
}

/** The paths of the data objects in `root` and below that carry an AVU named `attribute`, sorted, each once. */
export async function dataObjectPathsWithAttribute(query: QueryApi, root: string, attribute: string, signal?: AbortSignal): Promise<string[]> {
  const paths = new Set<string>();
  for await (const { lpath } of dataObjectsWithAttribute(query, root, attribute, { signal })) {
    if (isWithin(root, splitLpath(lpath).collection)) paths.add(lpath);
  }
  return [...paths].sort();
}

/**
 * The nearest collection at or above `collection` that carries an AVU named `attribute`, with
 * the values it has there; undefined when none does. One query for the whole line of ancestors.
 */
export async function nearestCollectionWithAttribute(
  query: QueryApi,
  collection: string,
  attribute: string,
  signal?: AbortSignal,
): Promise<{ collection: string; values: string[] } | undefined> {
  const line = collectionAndAncestors(collection);
  const rows: string[][] = [];
  for await (const row of query.genquery(genquery1(['COLL_NAME', 'META_COLL_ATTR_VALUE'], [inList('COLL_NAME', line), equals('META_COLL_ATTR_NAME', attribute)]), { signal })) {
    rows.push(row);
  }
  for (const coll of line) {
    const values = rows.filter(([c]) => c === coll).map(([, value = '']) => value);
    if (values.length) return { collection: coll, values: values.sort() };
  }
  return undefined;
}
