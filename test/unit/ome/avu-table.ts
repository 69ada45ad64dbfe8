import { expect } from 'vitest';
import type { Avu } from '../../../src/irods/index.js';
import type { AvuTarget } from '../../../src/ome/index.js';

/**
 * Expected AVUs written as a table, one per line: `attribute | value | units` (units may be
 * left empty). Blank lines are skipped. Values in the fixtures never contain ' | '.
 */
export function avuTable(text: string): Avu[] {
  const avus: Avu[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const parts = line.split(' | ');
    if (parts.length < 2 || parts.length > 3) throw new Error(`bad AVU line: ${line}`);
    const [attribute = '', value = '', units = ''] = parts.map((p) => p.trim());
    avus.push(units === '' ? { attribute, value } : { attribute, value, units });
  }
  return avus;
}

const key = (a: Avu): string => `${a.attribute}\u0000${a.value}\u0000${a.units ?? ''}`;
const sorted = (avus: readonly Avu[]): string[] => avus.map(key).sort();

export interface ExpectedTarget {
  readonly kind: AvuTarget['kind'];
  readonly avus: readonly Avu[];
}

/**
 * The mapping produced exactly these targets, each with exactly these AVUs (compared as sets:
 * the order is checked by its own test) and no duplicate within a target.
 */
export function expectTargets(actual: readonly AvuTarget[], expected: Readonly<Record<string, ExpectedTarget>>): void {
  expect(actual.map((t) => t.path)).toEqual(Object.keys(expected).sort());
  for (const target of actual) {
    const want = expected[target.path];
    expect(want, `unexpected target ${JSON.stringify(target.path)}`).toBeDefined();
    if (!want) continue;
    expect(target.kind, `kind of ${JSON.stringify(target.path)}`).toBe(want.kind);
    const keys = target.avus.map(key);
    expect(new Set(keys).size, `duplicates on ${JSON.stringify(target.path)}`).toBe(keys.length);
    expect(sorted(target.avus), `AVUs of ${JSON.stringify(target.path)}`).toEqual(sorted(want.avus));
  }
}
