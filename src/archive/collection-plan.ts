import { parentsOf } from './path-safety.js';

/** The least the plan needs to know of an entry (an ArchiveEntry fits). */
export interface PlannedEntry {
  readonly path: string;
  readonly kind: 'file' | 'directory';
}

/**
 * The collections to create before writing the entries, relative to the target collection:
 * every folder entry and every parent of every entry, each once, parents before children.
 *
 * Order: by depth, then by code unit (not locale: the plan must be the same on every host). All
 * collections of one depth can therefore be created concurrently once the previous depth exists.
 * Paths must already be normalised (path-safety.ts); the target collection itself is not listed.
 */
export function collectionsToCreate(entries: Iterable<PlannedEntry>): string[] {
  const collections = new Set<string>();
  for (const entry of entries) {
    for (const parent of parentsOf(entry.path)) collections.add(parent);
    if (entry.kind === 'directory') collections.add(entry.path);
  }
  return [...collections].sort(byDepthThenName);
}

function depth(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) n++;
  return n;
}

function byDepthThenName(a: string, b: string): number {
  const d = depth(a) - depth(b);
  if (d !== 0) return d;
  return a < b ? -1 : a > b ? 1 : 0;
}
