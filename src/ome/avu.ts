/**
 * AVUs as plain values (this module knows nothing of iRODS I/O; the shape matches
 * src/irods/types.ts `Avu`, so the metadata step passes them straight to the client).
 */
export interface Avu {
  readonly attribute: string;
  readonly value: string;
  readonly units?: string | undefined;
}

export interface AvuTarget {
  /** Archive-relative path below the expanded root collection; '' is the root collection itself. */
  readonly path: string;
  readonly kind: 'collection' | 'data_object';
  /** Deterministic order, no two equal (attribute, value, units) triples. */
  readonly avus: readonly Avu[];
}

/** Column sizes of the iRODS catalog's R_META_MAIN, counted in UTF-8 bytes (see docs/avu-mapping.md). */
export interface AvuLimits {
  readonly maxAttributeBytes: number;
  readonly maxValueBytes: number;
  readonly maxUnitsBytes: number;
}

/** meta_attr_name varchar(2700), meta_attr_value varchar(2700), meta_attr_unit varchar(250). */
export const IRODS_AVU_LIMITS: AvuLimits = { maxAttributeBytes: 2700, maxValueBytes: 2700, maxUnitsBytes: 250 };

/** Every attribute the mapping writes starts with this; planAvuSync owns it on mapped objects. */
export const OME_AVU_PREFIX = 'omero.';

/** Stands for an empty source value (iRODS refuses empty values); the units say `empty`. */
export const EMPTY_VALUE = '(empty)';

/** Ends a value cut to fit; the units say `truncated`. */
export const TRUNCATION_MARKER = '…[truncated]';

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const encoder = new TextEncoder();

/** The longest prefix of `s` within `maxBytes` of UTF-8, never splitting a character (encodeInto stops before one that does not fit). */
export function utf8Prefix(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (s.length * 3 <= maxBytes) return s;
  return s.slice(0, encoder.encodeInto(s, new Uint8Array(maxBytes)).read);
}

/** `s` if it fits, else a prefix plus TRUNCATION_MARKER within `maxBytes`. */
export function fitBytes(s: string, maxBytes: number): { readonly text: string; readonly truncated: boolean } {
  if (s.length * 3 <= maxBytes || utf8Bytes(s) <= maxBytes) return { text: s, truncated: false };
  return { text: utf8Prefix(s, maxBytes - utf8Bytes(TRUNCATION_MARKER)) + TRUNCATION_MARKER, truncated: true };
}

/** The identity iRODS uses for an AVU: no units and empty units are the same. */
export function avuKey(avu: Avu): string {
  return `${avu.attribute}\u0000${avu.value}\u0000${avu.units ?? ''}`;
}
