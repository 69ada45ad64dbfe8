/**
 * Logical path helpers. iRODS strips trailing separators before every lookup
 * (rsObjStat remove_trailing_path_separators); anything not absolute names nothing.
 */
export function normalizeLpath(lpath: string): string | undefined {
  if (!lpath.startsWith('/')) return undefined;
  let end = lpath.length;
  while (end > 1 && lpath[end - 1] === '/') end -= 1;
  return lpath.slice(0, end);
}

export function parentOf(lpath: string): string {
  const slash = lpath.lastIndexOf('/');
  return slash <= 0 ? '/' : lpath.slice(0, slash);
}

export function nameOf(lpath: string): string {
  return lpath.slice(lpath.lastIndexOf('/') + 1);
}

export function joinLpath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** True when `descendant` lies strictly below `ancestor`. */
export function isBelow(descendant: string, ancestor: string): boolean {
  if (ancestor === '/') return descendant !== '/' && descendant.startsWith('/');
  return descendant.startsWith(`${ancestor}/`);
}

/** The first path element after the root: the zone name of an absolute lpath. */
export function zoneOf(lpath: string): string {
  const second = lpath.indexOf('/', 1);
  return second < 0 ? lpath.slice(1) : lpath.slice(1, second);
}
