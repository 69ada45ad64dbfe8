import type { DeleteReport } from './delete-output.js';
import type { OmeroCli } from './omero-cli.js';
import { compareIds } from './registration.js';
import { chunks } from './registration-lookup.js';

/** The OMERO objects one registration made, per kind (ids as OMERO printed them: digits). */
export type RegisteredObjects = Readonly<Record<'images' | 'projects' | 'datasets' | 'screens' | 'plates', readonly string[]>>;

type ContainerClass = 'Project' | 'Dataset' | 'Screen' | 'Plate';

/** What removing a registration did in OMERO. snake_case: stored as is in the step's detail. */
export interface RemovedRegistration {
  /** Ids the server deleted, per class named in the request (Image, Dataset, …). */
  readonly deleted: Record<string, string[]>;
  /** How many objects of every class the server deleted with them (Fileset, links, Pixels, annotations, …). */
  readonly deleted_counts: Record<string, number>;
  /** `Class:id` of what was no longer in OMERO: deleted earlier, by someone or by an earlier attempt. */
  readonly already_gone: string[];
  /** `Class:id` of containers left in place because they still hold something (--merge: another archive's data, or a user's). */
  readonly kept: string[];
}

/**
 * The HQL of the removal. Ids only from the registration (digits, checked by the caller), each
 * projection ordered by columns that make its rows unique, as every paged query must be.
 */
export const UNREGISTRATION_QUERIES = {
  existing: (type: ContainerClass | 'Image', ids: string) => `select x.id from ${type} x where x.id in (${ids}) order by x.id`,
  children: {
    Dataset: (ids: string) => `select l.parent.id, l.child.id from DatasetImageLink l where l.parent.id in (${ids}) order by l.parent.id, l.child.id`,
    Project: (ids: string) => `select l.parent.id, l.child.id from ProjectDatasetLink l where l.parent.id in (${ids}) order by l.parent.id, l.child.id`,
    Screen: (ids: string) => `select l.parent.id, l.child.id from ScreenPlateLink l where l.parent.id in (${ids}) order by l.parent.id, l.child.id`,
    Plate: (ids: string) => `select w.plate.id, ws.image.id from WellSample ws join ws.well w where w.plate.id in (${ids}) order by w.plate.id, ws.image.id`,
  },
} as const;

interface Calls {
  readonly signal?: AbortSignal | undefined;
  /** Bound on one `omero delete` (the server walks the whole graph: long for big registrations). */
  readonly deleteTimeoutMs: number;
}

async function existing(cli: OmeroCli, type: ContainerClass | 'Image', ids: readonly string[], calls: Calls): Promise<Set<string>> {
  const found = new Set<string>();
  for (const list of chunks([...new Set(ids)])) {
    for (const [id = ''] of await cli.hqlAll(UNREGISTRATION_QUERIES.existing(type, list), 1, { signal: calls.signal })) found.add(id);
  }
  return found;
}

async function nonEmpty(cli: OmeroCli, type: ContainerClass, ids: readonly string[], calls: Calls): Promise<Set<string>> {
  const holding = new Set<string>();
  for (const list of chunks(ids)) {
    for (const [parent = ''] of await cli.hqlAll(UNREGISTRATION_QUERIES.children[type](list), 2, { signal: calls.signal })) holding.add(parent);
  }
  return holding;
}

const sorted = (ids: Iterable<string>) => [...ids].sort(compareIds);

/**
 * Removes from OMERO what a registration made: its Images first (with them the server deletes
 * their Filesets, Pixels, links, ROIs, rendering settings and the annotations linked nowhere
 * else; Tag, Term and File annotations stay, as `omero delete` leaves them by default), then
 * the Plates and Datasets it made that are empty now, then the Screens and Projects the same
 * way. A container that still holds anything (with --merge, another archive's images or a
 * user's) is kept. Objects already gone are not an error: Delete2 fails whole when any target is
 * missing (omero-server GraphTraversal.objectsToCIs), so each round asks what is still there
 * first; a repeat finds nothing left and deletes nothing.
 */
export async function removeRegistration(cli: OmeroCli, objects: RegisteredObjects, calls: Calls): Promise<RemovedRegistration> {
  for (const ids of Object.values<readonly string[]>(objects)) {
    if (ids.some((id) => !/^\d+$/.test(id))) throw new Error('OMERO ids must be digits');
  }
  const result: RemovedRegistration = { deleted: {}, deleted_counts: {}, already_gone: [], kept: [] };
  const record = (targets: Record<string, string[]>, report: DeleteReport) => {
    for (const [type, ids] of Object.entries(targets)) if (ids.length) result.deleted[type] = sorted([...(result.deleted[type] ?? []), ...ids]);
    for (const [type, ids] of Object.entries(report.deleted)) result.deleted_counts[type] = (result.deleted_counts[type] ?? 0) + ids.length;
  };

  const images = await existing(cli, 'Image', objects.images, calls);
  for (const id of sorted(new Set(objects.images))) if (!images.has(id)) result.already_gone.push(`Image:${id}`);
  if (images.size) {
    const targets = { Image: sorted(images) };
    record(targets, await cli.delete(targets, { timeoutMs: calls.deleteTimeoutMs, signal: calls.signal }));
  }

  const rounds: [ContainerClass, readonly string[]][][] = [
    [
      ['Plate', objects.plates],
      ['Dataset', objects.datasets],
    ],
    [
      ['Screen', objects.screens],
      ['Project', objects.projects],
    ],
  ];
  for (const round of rounds) {
    const targets: Record<string, string[]> = {};
    for (const [type, ids] of round) {
      const present = await existing(cli, type, ids, calls);
      for (const id of sorted(new Set(ids))) if (!present.has(id)) result.already_gone.push(`${type}:${id}`);
      const holding = present.size ? await nonEmpty(cli, type, sorted(present), calls) : new Set<string>();
      for (const id of sorted(present)) {
        if (holding.has(id)) result.kept.push(`${type}:${id}`);
        else (targets[type] ??= []).push(id);
      }
    }
    if (Object.keys(targets).length) record(targets, await cli.delete(targets, { timeoutMs: calls.deleteTimeoutMs, signal: calls.signal }));
  }
  return result;
}
