/** Logical paths as the catalog splits them: COLL_NAME and DATA_NAME. */

/** The collection and name of a data object's path (`/a` → `/`, `a`). */
export function splitLpath(lpath: string): { collection: string; name: string } {
  const i = lpath.lastIndexOf('/');
  return { collection: i <= 0 ? '/' : lpath.slice(0, i), name: lpath.slice(i + 1) };
}

/** The path of the object `name` in `collection` (the root collection has no trailing name). */
export const joinLpath = (collection: string, name: string): string => `${collection === '/' ? '' : collection}/${name}`;

/**
 * Whether `collection` is `root` or below it. `COLL_NAME like 'root%'` also matches siblings
 * (`root2`, `root-old`) and treats `_`/`%` in the root as wildcards: every row is filtered with this.
 */
export const isWithin = (root: string, collection: string): boolean => collection === root || collection.startsWith(`${root}/`);

/** The collection and every collection above it, nearest first (`/zone/home/lab` → …, `/zone`). */
export function collectionAndAncestors(collection: string): string[] {
  const out: string[] = [];
  for (let c = collection; c.length > 1; c = c.slice(0, c.lastIndexOf('/')) || '/') out.push(c);
  return out;
}
