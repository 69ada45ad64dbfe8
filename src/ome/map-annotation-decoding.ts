import type { Avu } from '../irods/avu-rules.js';
import { EMPTY_VALUE } from './avu.js';
import { MAP_KEY_ATTRIBUTE, MAP_KEY_PREFIX, MAP_VALUE_ATTRIBUTE, NAMESPACE_ATTRIBUTE } from './avu-mapping.js';
import { parseUnits, type Scope } from './avu-units.js';
import type { MapEntry } from './transfer-model.js';

export interface DecodedMapAnnotation {
  /** The object the annotation is on (image, well, dataset...). */
  readonly subject: Scope;
  /** The annotation's local id (see localId). */
  readonly annotationId: string;
  readonly namespace: string | undefined;
  /** In the original order, repeated keys kept, empty values as ''. */
  readonly entries: readonly MapEntry[];
  /** Some key or value was cut to fit the catalog: the entries are not exact. */
  readonly truncated: boolean;
}

/**
 * Rebuilds the map annotations from one object's AVUs (the inverse of the mapping's map rule,
 * docs/avu-mapping.md "Key-value pairs round-trip"), in order of first appearance.
 */
export function decodeMapAnnotations(avus: readonly Avu[]): DecodedMapAnnotation[] {
  const namespaceRefs = new Map<string, string>();
  for (const avu of avus) {
    if (avu.attribute === NAMESPACE_ATTRIBUTE && avu.units?.startsWith('ns#')) namespaceRefs.set(avu.units.slice(3), avu.value);
  }
  interface Group {
    subject: Scope;
    annotationId: string;
    namespace: string | undefined;
    pairs: Map<number, { key?: string; value?: string }>;
    truncated: boolean;
  }
  const groups = new Map<string, Group>();
  for (const avu of avus) {
    const isPlain = avu.attribute.startsWith(MAP_KEY_PREFIX);
    if (!isPlain && avu.attribute !== MAP_KEY_ATTRIBUTE && avu.attribute !== MAP_VALUE_ATTRIBUTE) continue;
    const units = parseUnits(avu.units);
    const [subject, annotation] = units.scopes;
    if (!subject || annotation?.type !== 'annotation' || units.position === undefined) continue;
    const id = `${subject.type}:${subject.id} ${annotation.id}`;
    let group = groups.get(id);
    if (!group) {
      const namespace = units.namespace ?? (units.namespaceRef === undefined ? undefined : namespaceRefs.get(units.namespaceRef));
      group = { subject, annotationId: annotation.id, namespace, pairs: new Map(), truncated: false };
      groups.set(id, group);
    }
    if (units.truncated) group.truncated = true;
    const text = units.empty && avu.value === EMPTY_VALUE ? '' : avu.value;
    const pair = group.pairs.get(units.position) ?? {};
    if (isPlain) {
      pair.key = avu.attribute.slice(MAP_KEY_PREFIX.length);
      pair.value = text;
    } else if (avu.attribute === MAP_KEY_ATTRIBUTE) pair.key = text;
    else pair.value = text;
    group.pairs.set(units.position, pair);
  }
  return [...groups.values()].map((g) => ({
    subject: g.subject,
    annotationId: g.annotationId,
    namespace: g.namespace,
    entries: [...g.pairs.entries()].sort(([a], [b]) => a - b).map(([, p]) => ({ key: p.key ?? '', value: p.value ?? '' })),
    truncated: g.truncated,
  }));
}
