/**
 * iRODS's rules about AVUs, in one place: the metadata triple, how large the catalog lets each
 * part be, when two AVUs are the same one, and how an object's AVUs are brought to a desired set.
 * Producers (ome/ mapping transfer.xml, the pipeline's status and registration AVUs) make plain
 * lists of `Avu`; these rules decide what is written.
 */

/** One attribute-value-units triple as iRODS keeps it (R_META_MAIN). */
export interface Avu {
  readonly attribute: string;
  readonly value: string;
  readonly units?: string | undefined;
}

/** What carries AVUs: each kind has its own modify_metadata endpoint and its own catalog columns. */
export type AvuHolderKind = 'collection' | 'data_object';

/** Column sizes of the iRODS catalog's R_META_MAIN, counted in UTF-8 bytes (see docs/avu-mapping.md). */
export interface AvuLimits {
  readonly maxAttributeBytes: number;
  readonly maxValueBytes: number;
  readonly maxUnitsBytes: number;
}

/** meta_attr_name varchar(2700), meta_attr_value varchar(2700), meta_attr_unit varchar(250). */
export const IRODS_AVU_LIMITS: AvuLimits = { maxAttributeBytes: 2700, maxValueBytes: 2700, maxUnitsBytes: 250 };

/** The identity iRODS uses for an AVU: no units and empty units are the same. */
export function avuKey(avu: Avu): string {
  return `${avu.attribute}\u0000${avu.value}\u0000${avu.units ?? ''}`;
}

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
