import { collectionAndAncestors } from './logical-quotas.js';
import type { Avu, QueryApi } from './types.js';

/**
 * Catalog questions about a tree, as typed functions over GenQuery1 (callers never write query
 * text). GenQuery1 has no escape for a single quote inside a literal, so a path holding one
 * cannot be asked about: those calls throw a RangeError naming it.
 */

function literal(value: string): string {
  if (value.includes("'")) throw new RangeError(`GenQuery1 cannot quote a path with a single quote: ${value}`);
  return `'${value}'`;
}

/** `like 'root%'` also matches `root2/…`: keep the root itself and what is below it. */
const within = (root: string, coll: string): boolean => coll === root || coll.startsWith(`${root}/`);

const split = (lpath: string): [string, string] => {
  const i = lpath.lastIndexOf('/');
  return [lpath.slice(0, i) || '/', lpath.slice(i + 1)];
};

export interface CatalogObject {
  readonly lpath: string;
  readonly size: number;
  readonly checksum: string;
}

/** Every data object in `root` and below (one row per object, its first replica's size and checksum), by path. */
export async function dataObjectsUnder(query: QueryApi, root: string): Promise<CatalogObject[]> {
  const rows = await query.genqueryAll(`SELECT COLL_NAME, DATA_NAME, DATA_SIZE, DATA_CHECKSUM WHERE COLL_NAME like ${literal(`${root}%`)}`);
  const found = new Map<string, CatalogObject>();
  for (const [coll = '', name = '', size = '0', checksum = ''] of rows) {
    const lpath = `${coll}/${name}`;
    if (within(root, coll) && !found.has(lpath)) found.set(lpath, { lpath, size: Number(size), checksum });
  }
  return [...found.values()].sort((a, b) => a.lpath.localeCompare(b.lpath));
}

/** The data objects in `root` and below that carry an AVU named `attribute`, by path. */
export async function dataObjectsWithAttribute(query: QueryApi, root: string, attribute: string): Promise<string[]> {
  const rows = await query.genqueryAll(`SELECT COLL_NAME, DATA_NAME WHERE COLL_NAME like ${literal(`${root}%`)} AND META_DATA_ATTR_NAME = ${literal(attribute)}`);
  return [...new Set(rows.filter(([coll = '']) => within(root, coll)).map(([coll = '', name = '']) => `${coll}/${name}`))].sort();
}

/** One AVU on an object of a tree. */
export interface TreeAvu {
  readonly lpath: string;
  readonly kind: 'collection' | 'data_object';
  readonly avu: Avu;
}

/** Every AVU named `attribute` on the collections and data objects in `root` and below (the root included). */
export async function avusUnder(query: QueryApi, root: string, attribute: string): Promise<TreeAvu[]> {
  const where = `WHERE COLL_NAME like ${literal(`${root}%`)}`;
  const [objects, collections] = await Promise.all([
    query.genqueryAll(`SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS ${where} AND META_DATA_ATTR_NAME = ${literal(attribute)}`),
    query.genqueryAll(`SELECT COLL_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS ${where} AND META_COLL_ATTR_NAME = ${literal(attribute)}`),
  ]);
  const out: TreeAvu[] = [];
  for (const [coll = '', name = '', value = '', units = ''] of objects) {
    if (within(root, coll)) out.push({ lpath: `${coll}/${name}`, kind: 'data_object', avu: { attribute, value, units } });
  }
  for (const [coll = '', value = '', units = ''] of collections) {
    if (within(root, coll)) out.push({ lpath: coll, kind: 'collection', avu: { attribute, value, units } });
  }
  return out.sort((a, b) => a.lpath.localeCompare(b.lpath) || a.avu.value.localeCompare(b.avu.value));
}

const avusOf = (rows: string[][]): Avu[] =>
  rows.map(([attribute = '', value = '', units = '']) => ({ attribute, value, units })).sort((a, b) => a.attribute.localeCompare(b.attribute) || a.value.localeCompare(b.value));

/** The AVUs of one data object whose attribute starts with `prefix` (all when empty), by attribute. */
export async function dataObjectAvus(query: QueryApi, lpath: string, prefix = ''): Promise<Avu[]> {
  const [coll, name] = split(lpath);
  const rows = await query.genqueryAll(
    `SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME = ${literal(coll)} AND DATA_NAME = ${literal(name)}` +
      (prefix ? ` AND META_DATA_ATTR_NAME like ${literal(`${prefix}%`)}` : ''),
  );
  return avusOf(rows);
}

/** The AVUs of one collection whose attribute starts with `prefix` (all when empty), by attribute. */
export async function collectionAvus(query: QueryApi, lpath: string, prefix = ''): Promise<Avu[]> {
  const rows = await query.genqueryAll(
    `SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS WHERE COLL_NAME = ${literal(lpath)}` +
      (prefix ? ` AND META_COLL_ATTR_NAME like ${literal(`${prefix}%`)}` : ''),
  );
  return avusOf(rows);
}

/**
 * The nearest collection at or above `collection` that carries an AVU named `attribute`, with
 * the values it has there; undefined when none does. One query for the whole line of ancestors.
 */
export async function nearestCollectionWithAttribute(
  query: QueryApi,
  collection: string,
  attribute: string,
): Promise<{ collection: string; values: string[] } | undefined> {
  const line = collectionAndAncestors(collection);
  const rows = await query.genqueryAll(
    `SELECT COLL_NAME, META_COLL_ATTR_VALUE WHERE COLL_NAME in (${line.map(literal).join(', ')}) AND META_COLL_ATTR_NAME = ${literal(attribute)}`,
  );
  for (const coll of line) {
    const values = rows.filter(([c]) => c === coll).map(([, value = '']) => value);
    if (values.length) return { collection: coll, values: values.sort() };
  }
  return undefined;
}
