/** An AVU as iRODS stores it; units are '' when absent (the catalog column is never null on PostgreSQL). */
export interface Avu {
  readonly attribute: string;
  readonly value: string;
  readonly units: string;
}

function keyOf(avu: Avu): string {
  return `${avu.attribute}\u0000${avu.value}\u0000${avu.units}`;
}

/**
 * The AVUs attached to one object. iRODS keeps a single R_META_MAIN row per distinct triple and
 * attaches it at most once per object (R_OBJT_METAMAP), so a set keyed by the triple is exact.
 */
export class AvuSet {
  private readonly entries = new Map<string, Avu>();

  /** Returns false when the triple was already attached. */
  add(avu: Avu): boolean {
    const key = keyOf(avu);
    if (this.entries.has(key)) return false;
    this.entries.set(key, { attribute: avu.attribute, value: avu.value, units: avu.units });
    return true;
  }

  /** Returns false when the triple was not attached. */
  remove(avu: Avu): boolean {
    return this.entries.delete(keyOf(avu));
  }

  has(avu: Avu): boolean {
    return this.entries.has(keyOf(avu));
  }

  hasAttribute(attribute: string): boolean {
    for (const avu of this.entries.values()) if (avu.attribute === attribute) return true;
    return false;
  }

  values(): IterableIterator<Avu> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  clone(): AvuSet {
    const copy = new AvuSet();
    for (const avu of this.entries.values()) copy.add(avu);
    return copy;
  }
}
