import type { Avu } from '../../irods/types.js';
import type { Pair } from '../../omero/index.js';
import { AGENT_NS } from '../archive-status.js';

/** Which attributes go to OMERO (config.omeroSync): the agent's own never do. */
export interface PairRules {
  /** Prefixes of attributes to show; empty: every attribute. */
  readonly include: readonly string[];
  /** Prefixes never shown (default `omero.`: what came from OMERO in the first place). */
  readonly exclude: readonly string[];
}

/** Values of one attribute with several AVUs, in one pair (map-set keeps one value per key). */
export const VALUE_SEPARATOR = '; ';

// A line of an `omero obj` transaction file ends at a line break (obj.py reads it with fileinput).
const LINE_BREAK = /\r\n|\r|\n/g;
const oneLine = (text: string) => text.replace(LINE_BREAK, ' ');

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function isShown(attribute: string, rules: PairRules): boolean {
  if (attribute.startsWith(AGENT_NS)) return false;
  if (rules.exclude.some((p) => p !== '' && attribute.startsWith(p))) return false;
  return rules.include.length === 0 || rules.include.some((p) => attribute.startsWith(p));
}

/**
 * The key-value pairs an object's AVUs become in OMERO, sorted by key: one pair per attribute;
 * a value with units reads `<value> <units>`; an attribute with several AVUs gets their values
 * sorted and joined by "; " (the obj plugin's map-set keeps one value per key); line breaks
 * become spaces. The same AVUs always give the same pairs, so an unchanged object compares equal.
 */
export function annotationPairs(avus: readonly Avu[], rules: PairRules): Pair[] {
  const values = new Map<string, Set<string>>();
  for (const avu of avus) {
    if (!isShown(avu.attribute, rules)) continue;
    const key = oneLine(avu.attribute);
    const value = oneLine(avu.units ? `${avu.value} ${avu.units}` : avu.value);
    values.set(key, (values.get(key) ?? new Set<string>()).add(value));
  }
  return [...values.entries()]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([key, set]) => [key, [...set].sort(byCodePoint).join(VALUE_SEPARATOR)] as const);
}

/** Whether two pair lists say the same (both sorted by key, as annotationPairs makes them). */
export function samePairs(a: readonly Pair[], b: readonly Pair[]): boolean {
  return a.length === b.length && a.every(([k, v], i) => b[i]?.[0] === k && b[i]?.[1] === v);
}
