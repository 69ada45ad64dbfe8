import { avuKey, type Avu } from './avu.js';

export interface AvuSyncPlan {
  /** Desired AVUs the object lacks, in the desired order. */
  readonly add: readonly Avu[];
  /** Stale AVUs under an owned prefix, as the object has them (units exactly as read). */
  readonly remove: readonly Avu[];
}

/**
 * What to change so an object carries `desired`: add what is missing; remove what it has that
 * is not desired, but ONLY when the attribute starts with one of `ownedPrefixes` — AVUs users
 * set themselves under other names are never touched. Applying the plan and planning again gives
 * an empty plan, so a replay of an unchanged archive changes nothing. Empty and absent units are
 * the same AVU (iRODS reads no units back as '').
 */
export function planAvuSync(existing: readonly Avu[], desired: readonly Avu[], ownedPrefixes: readonly string[]): AvuSyncPlan {
  const have = new Set(existing.map(avuKey));
  const want = new Set<string>();
  const add: Avu[] = [];
  for (const avu of desired) {
    const key = avuKey(avu);
    if (want.has(key)) continue;
    want.add(key);
    if (!have.has(key)) add.push(avu);
  }
  const owned = (attribute: string): boolean => ownedPrefixes.some((prefix) => prefix !== '' && attribute.startsWith(prefix));
  const remove: Avu[] = [];
  const removing = new Set<string>();
  for (const avu of existing) {
    const key = avuKey(avu);
    if (want.has(key) || removing.has(key) || !owned(avu.attribute)) continue;
    removing.add(key);
    remove.push(avu);
  }
  return { add, remove };
}
