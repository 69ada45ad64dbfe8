import {
  LINK_CLASS,
  mapSetLine,
  newLinkLine,
  newMapAnnotationLine,
  printedObjects,
  type AnnotatableType,
} from './obj-transaction.js';
import type { OmeroCli } from './omero-cli.js';
import { chunks } from './registration-lookup.js';

/** One key-value pair of a MapAnnotation (omero.model.NamedValue). */
export type Pair = readonly [key: string, value: string];

/** An OMERO object that should carry the agent's MapAnnotation. */
export interface AnnotationTarget {
  readonly type: AnnotatableType;
  /** Its OMERO id (digits). */
  readonly id: string;
  /** The annotation the agent recorded for it earlier, if any (it may have been deleted since). */
  readonly annotationId: string | undefined;
}

export interface KeptAnnotation {
  readonly type: AnnotatableType;
  readonly id: string;
  /** Undefined only when there was none and nothing to show (no pairs): none is made. */
  readonly annotationId: string | undefined;
  /** created: a new one (none before, or the old one was deleted or unlinked in OMERO). */
  readonly action: 'created' | 'updated' | 'unchanged' | 'none';
  /** map-set actions sent for it. */
  readonly changes: number;
}

/** The queries that read what OMERO holds; ids are digits, never text from iRODS. */
export const ANNOTATION_QUERIES = {
  links: (type: AnnotatableType, ids: string) =>
    `select l.parent.id, l.child.id from ${LINK_CLASS[type]} l where l.child.id in (${ids}) order by l.parent.id, l.child.id`,
  pairs: (ids: string) => `select a.id, mv.name, mv.value from MapAnnotation a join a.mapValue mv where a.id in (${ids}) order by a.id, mv.name, mv.value`,
} as const;

/**
 * The map-set actions that turn `current` into `desired` (keys unique): a key no longer wanted is
 * removed; a key whose one value differs is set (map-set replaces the first pair of that name);
 * a key OMERO holds several times is removed, then set, so exactly one pair remains.
 */
export function mapSetPlan(current: readonly Pair[], desired: readonly Pair[]): { remove: string[]; set: Pair[] } {
  const have = new Map<string, string[]>();
  for (const [k, v] of current) have.set(k, [...(have.get(k) ?? []), v]);
  const wanted = new Map(desired);
  if (wanted.size !== desired.length) throw new RangeError('desired pairs must have unique keys');
  const remove: string[] = [];
  const set: Pair[] = [];
  for (const key of have.keys()) if (!wanted.has(key)) remove.push(key);
  for (const [key, value] of desired) {
    const values = have.get(key) ?? [];
    if (values.length === 1 && values[0] === value) continue;
    if (values.length > 1) remove.push(key);
    set.push([key, value]);
  }
  return { remove, set };
}

interface Found {
  /** `Type:id` of every object each of the known annotations is linked to. */
  readonly linkedTo: Map<string, Set<string>>;
  readonly pairs: Map<string, Pair[]>;
}

const key = (type: string, id: string) => `${type}:${id}`;

/** Which recorded annotations OMERO still holds, linked to what, with which pairs. */
async function readKnown(cli: OmeroCli, targets: readonly AnnotationTarget[], signal: AbortSignal | undefined): Promise<Found> {
  const linkedTo = new Map<string, Set<string>>();
  const pairs = new Map<string, Pair[]>();
  const byType = new Map<AnnotatableType, string[]>();
  for (const t of targets) if (t.annotationId !== undefined) byType.set(t.type, [...(byType.get(t.type) ?? []), t.annotationId]);
  for (const [type, ids] of byType) {
    for (const list of chunks([...new Set(ids)])) {
      for (const [parent = '', child = ''] of await cli.hqlAll(ANNOTATION_QUERIES.links(type, list), 2, { signal })) {
        const set = linkedTo.get(child) ?? new Set<string>();
        set.add(key(type, parent));
        linkedTo.set(child, set);
      }
    }
  }
  const linked = [...linkedTo.keys()].filter((id) => /^\d+$/.test(id));
  for (const list of chunks(linked)) {
    for (const [id = '', name = '', value = ''] of await cli.hqlAll(ANNOTATION_QUERIES.pairs(list), 3, { signal })) {
      pairs.set(id, [...(pairs.get(id) ?? []), [name, value]]);
    }
  }
  return { linkedTo, pairs };
}

/**
 * Makes each target carry one MapAnnotation in `namespace` holding exactly `pairs`, with this
 * session, in at most two `omero obj` transactions after reading what OMERO holds:
 * 1. the annotations the agent recorded are looked up with their links and pairs (a deleted or
 *    unlinked one counts as gone);
 * 2. for targets without one: `new MapAnnotation` and its link, each new id handed to
 *    `onCreated` at once (so a retry updates it instead of making another);
 * 3. the map-set actions that make every annotation hold `pairs` (none when it already does).
 * A failing action throws its OmeroCliError; what was done before it stays done, and a retry
 * reads OMERO again and completes it.
 */
export async function keepMapAnnotations(
  cli: OmeroCli,
  input: {
    readonly namespace: string;
    readonly pairs: readonly Pair[];
    readonly targets: readonly AnnotationTarget[];
    readonly onCreated: (target: AnnotationTarget, annotationId: string) => Promise<void>;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<KeptAnnotation[]> {
  const found = await readKnown(cli, input.targets, input.signal);
  const intact = (t: AnnotationTarget) => t.annotationId !== undefined && found.linkedTo.get(t.annotationId)?.has(key(t.type, t.id)) === true;
  const missing = input.targets.filter((t) => !intact(t) && input.pairs.length > 0);

  const created = new Map<AnnotationTarget, string>();
  if (missing.length) {
    const lines = missing.flatMap((t, i) => [newMapAnnotationLine(`a${i}`, input.namespace), newLinkLine(t.type, t.id, `a${i}`)]);
    const run = await cli.obj(lines, input.signal);
    const printed = printedObjects(run.printed);
    for (const [i, target] of missing.entries()) {
      const annotation = printed[2 * i];
      const link = printed[2 * i + 1];
      // An annotation whose link was not made is left empty and unlinked: it shows nowhere.
      if (annotation?.type !== 'MapAnnotation' || link?.type !== LINK_CLASS[target.type]) continue;
      created.set(target, annotation.id);
      await input.onCreated(target, annotation.id);
    }
    if (run.failure) throw run.failure;
  }

  const lines: string[] = [];
  const results: KeptAnnotation[] = [];
  for (const t of input.targets) {
    const fresh = created.get(t);
    const annotationId = fresh ?? (intact(t) ? t.annotationId : undefined);
    if (annotationId === undefined) {
      results.push({ type: t.type, id: t.id, annotationId: undefined, action: 'none', changes: 0 });
      continue;
    }
    const plan = mapSetPlan(fresh ? [] : (found.pairs.get(annotationId) ?? []), input.pairs);
    const actions = [...plan.remove.map((k) => mapSetLine(annotationId, k)), ...plan.set.map(([k, v]) => mapSetLine(annotationId, k, v))];
    lines.push(...actions);
    results.push({ type: t.type, id: t.id, annotationId, action: fresh ? 'created' : actions.length ? 'updated' : 'unchanged', changes: actions.length });
  }
  if (lines.length) {
    const run = await cli.obj(lines, input.signal);
    if (run.failure) throw run.failure;
  }
  return results;
}
