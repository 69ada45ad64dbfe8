/**
 * AVUs as plain values: this module knows nothing of iRODS I/O. The triple and the catalog's
 * rules about it (sizes, identity, sync) are src/irods/avu-rules.ts.
 */
import type { Avu, AvuHolderKind } from '../irods/avu-rules.js';

export interface AvuTarget {
  /** Archive-relative path below the expanded root collection; '' is the root collection itself. */
  readonly path: string;
  readonly kind: AvuHolderKind;
  /** Deterministic order, no two equal (attribute, value, units) triples. */
  readonly avus: readonly Avu[];
}

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
