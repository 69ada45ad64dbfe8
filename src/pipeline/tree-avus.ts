import type { Avu } from '../irods/types.js';
import type { StepContext } from './step-context.js';

/** One AVU of an object of an expanded tree. */
export interface TreeAvu {
  readonly lpath: string;
  readonly kind: 'collection' | 'data_object';
  readonly avu: Avu;
}

/**
 * Every AVU under `prefix` on the tree at `root` (its collections and data objects), from two
 * paged queries. `like '<root>%'` also matches siblings such as `<root>2`, so rows are kept only
 * inside the tree; GenQuery's `_` is a wildcard, so callers filter attributes exactly.
 */
export async function* treeAvus(ctx: Pick<StepContext, 'irods' | 'signal'>, root: string, prefix: string): AsyncGenerator<TreeAvu> {
  const inTree = (coll: string) => coll === root || coll.startsWith(`${root}/`);
  const avu = ([attribute = '', value = '', units = '']: string[]): Avu => (units ? { attribute, value, units } : { attribute, value });
  for await (const [coll = '', name = '', ...rest] of ctx.irods.query.genquery(
    `SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME like '${root}%' AND META_DATA_ATTR_NAME like '${prefix}%'`,
    { signal: ctx.signal },
  )) {
    if (inTree(coll)) yield { lpath: `${coll}/${name}`, kind: 'data_object', avu: avu(rest) };
  }
  for await (const [coll = '', ...rest] of ctx.irods.query.genquery(
    `SELECT COLL_NAME, META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS WHERE COLL_NAME like '${root}%' AND META_COLL_ATTR_NAME like '${prefix}%'`,
    { signal: ctx.signal },
  )) {
    if (inTree(coll)) yield { lpath: coll, kind: 'collection', avu: avu(rest) };
  }
}
