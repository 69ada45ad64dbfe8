import type { Avu, AvuLimits } from '../irods/avu-rules.js';
import { EMPTY_VALUE, fitBytes, utf8Bytes, utf8Prefix, type AvuTarget } from './avu.js';
import { hashToken } from './avu-units.js';

export const NAMESPACE_ATTRIBUTE = 'omero.namespace';

/**
 * One iRODS object's AVUs being collected: fits values and units, de-duplicates. Hot path (10^5
 * AVUs per large archive): units arrive pre-formatted, and duplicates are found with nested maps
 * keyed by the (mostly shared, hash-cached) strings rather than by concatenated keys.
 */
export class TargetAvus {
  private readonly avus: Avu[] = [];
  private readonly seen = new Map<string, Map<string, Set<string>>>();
  private readonly visited = new Set<string>();
  private readonly namespaces = new Map<string, string>();
  private readonly namespaceBytes = new Map<string, number>();

  constructor(
    readonly path: string,
    readonly kind: AvuTarget['kind'],
    private readonly limits: AvuLimits,
  ) {}

  /**
   * Adds one AVU. `head` is the units' tokens before the flags (formatUnitsHead's form: scopes,
   * `#n`, `unit:`); `suffix` the namespace token from namespaceSuffix, which goes last. An
   * undefined value, or an empty one unless `keepEmpty`, writes nothing (iRODS refuses empty
   * values; absence means empty). With `keepEmpty` an empty value becomes EMPTY_VALUE and the
   * units say `empty`.
   */
  add(attribute: string, value: string | undefined, head: string, suffix = '', keepEmpty = false): void {
    const avu = this.fit(attribute, value, head, suffix, keepEmpty);
    if (!avu) return;
    let byValue = this.seen.get(avu.attribute);
    if (!byValue) {
      byValue = new Map();
      this.seen.set(avu.attribute, byValue);
    }
    let byUnits = byValue.get(avu.value);
    if (!byUnits) {
      byUnits = new Set();
      byValue.set(avu.value, byUnits);
    }
    const units = avu.units ?? '';
    if (byUnits.has(units)) return;
    byUnits.add(units);
    this.avus.push(avu);
  }

  /**
   * As add, without the duplicate check, for AVUs unique by construction: their units name an
   * object (an image, an annotation on a subject) that is mapped once per target, and their
   * attributes never appear with other units.
   */
  put(attribute: string, value: string | undefined, head: string, suffix = '', keepEmpty = false): void {
    const avu = this.fit(attribute, value, head, suffix, keepEmpty);
    if (avu) this.avus.push(avu);
  }

  /** True the first time an annotation is seen on a subject in this target. */
  firstVisit(subjectAndAnnotation: string): boolean {
    if (this.visited.has(subjectAndAnnotation)) return false;
    this.visited.add(subjectAndAnnotation);
    return true;
  }

  private fit(attribute: string, value: string | undefined, head: string, suffix: string, keepEmpty: boolean): Avu | undefined {
    if (value === undefined) return undefined;
    let text = value;
    let flags = '';
    if (text === '') {
      if (!keepEmpty) return undefined;
      text = EMPTY_VALUE;
      flags = ' empty';
    }
    if (text.length * 3 > this.limits.maxValueBytes) {
      const fitted = fitBytes(text, this.limits.maxValueBytes);
      if (fitted.truncated) {
        text = fitted.text;
        flags += ' truncated';
      }
    }
    let units = flags === '' && suffix === '' ? head : head === '' ? (flags + suffix).slice(1) : head + flags + suffix;
    if (units.length * 3 > this.limits.maxUnitsBytes && utf8Bytes(units) > this.limits.maxUnitsBytes) {
      // Unreachable with the catalog's 250 bytes (ids over 64 bytes are hashed, long namespaces
      // referenced); a guard for tiny configured limits.
      units = utf8Prefix(units, this.limits.maxUnitsBytes);
    }
    const name = attribute.length * 3 > this.limits.maxAttributeBytes ? fitBytes(attribute, this.limits.maxAttributeBytes).text : attribute;
    return units === '' ? { attribute: name, value: text } : { attribute: name, value: text, units };
  }

  list(): Avu[] {
    for (const [ref, namespace] of this.namespaces) {
      this.avus.push({ attribute: NAMESPACE_ATTRIBUTE, value: fitBytes(namespace, this.limits.maxValueBytes).text, units: `ns#${ref}` });
    }
    this.namespaces.clear();
    return this.avus;
  }

  /**
   * The namespace token for one annotation's AVUs: ` ns:<namespace>` when it fits after the
   * longest units the annotation will have (`longestHead` bytes, flags included), else the
   * reference ` ns#<hex>` resolved by this target's omero.namespace AVU. Decided once per
   * annotation, so all its AVUs carry the same form.
   */
  namespaceSuffix(namespace: string | undefined, longestHead: number): string {
    if (namespace === undefined) return '';
    let nsBytes = this.namespaceBytes.get(namespace);
    if (nsBytes === undefined) {
      nsBytes = utf8Bytes(namespace);
      this.namespaceBytes.set(namespace, nsBytes);
    }
    if (longestHead + nsBytes + 4 <= this.limits.maxUnitsBytes) return ` ns:${namespace}`;
    const ref = hashToken(namespace, 12);
    this.namespaces.set(ref, namespace);
    return ` ns#${ref}`;
  }
}
