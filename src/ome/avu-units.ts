import { createHash } from 'node:crypto';

/**
 * The units grammar of docs/avu-mapping.md: which OMERO object an AVU is about, a map pair's
 * position, a measurement unit, flags, and the annotation namespace (always last).
 *
 *   image:51 annotation:53 #3 empty ns:jax.org/jax/example/namespace
 */

export type ScopeType = 'image' | 'dataset' | 'project' | 'screen' | 'plate' | 'well' | 'annotation' | 'channel';

const OME_TYPE: Readonly<Record<ScopeType, string | undefined>> = {
  image: 'Image',
  dataset: 'Dataset',
  project: 'Project',
  screen: 'Screen',
  plate: 'Plate',
  well: 'Well',
  annotation: 'Annotation',
  channel: undefined,
};

const SCOPE_TYPES = new Set<string>(Object.keys(OME_TYPE));

export interface Scope {
  readonly type: ScopeType;
  /** The token form (see localId). */
  readonly id: string;
}

export interface UnitsParts {
  /** Subject first, then a related object. */
  readonly scopes: readonly Scope[];
  /** Position of a key-value pair inside its map annotation. */
  readonly position?: number | undefined;
  /** The unit of a measured value (e.g. µm). */
  readonly unit?: string | undefined;
  /** The value stands for the empty string. */
  readonly empty?: boolean | undefined;
  /** The value was cut to fit. */
  readonly truncated?: boolean | undefined;
  readonly namespace?: string | undefined;
  /** `ns#<hex>`: the namespace is in the target's `omero.namespace` AVU with these units. */
  readonly namespaceRef?: string | undefined;
}

const MAX_ID_BYTES = 64;

/** A short stable stand-in for text too long to carry: `~` + 16 hex digits of its SHA-256. */
export const hashToken = (text: string, hexDigits: number): string => createHash('sha256').update(text).digest('hex').slice(0, hexDigits);

/**
 * The id as units tokens and `omero.<type>.id` values show it: the OME id without its type
 * prefix (`Image:51` → `51`); an id of another form is kept whole; one over 64 bytes (never
 * written by OMERO) becomes `~<16 hex>` so the units stay within their 250 bytes.
 */
export function localId(type: ScopeType, omeId: string): string {
  const omeType = OME_TYPE[type];
  const local = omeType !== undefined && omeId.startsWith(`${omeType}:`) ? omeId.slice(omeType.length + 1) : omeId;
  // length * 3 bounds the UTF-8 size: most ids skip the byte count.
  return local.length * 3 > MAX_ID_BYTES && Buffer.byteLength(local, 'utf8') > MAX_ID_BYTES ? `~${hashToken(local, 16)}` : local;
}

/** Unit symbols may hold a space (`reference frame`): escaped so tokens stay space-separated. */
const escapeUnit = (u: string): string => u.replace(/%/g, '%25').replace(/ /g, '%20');
const unescapeUnit = (u: string): string => u.replace(/%20/g, ' ').replace(/%25/g, '%');

/** The tokens before `ns:`, joined; '' when there are none. */
export function formatUnitsHead(parts: UnitsParts): string {
  const tokens: string[] = parts.scopes.map((s) => `${s.type}:${s.id}`);
  if (parts.position !== undefined) tokens.push(`#${parts.position}`);
  if (parts.unit !== undefined) tokens.push(`unit:${escapeUnit(parts.unit)}`);
  if (parts.empty) tokens.push('empty');
  if (parts.truncated) tokens.push('truncated');
  if (parts.namespaceRef !== undefined) tokens.push(`ns#${parts.namespaceRef}`);
  return tokens.join(' ');
}

/** The whole units string, or undefined when there is nothing to say. */
export function formatUnits(parts: UnitsParts): string | undefined {
  const head = formatUnitsHead(parts);
  const ns = parts.namespace === undefined ? '' : `ns:${parts.namespace}`;
  const units = head && ns ? `${head} ${ns}` : head || ns;
  return units === '' ? undefined : units;
}

/** Reads units written by formatUnits; unknown tokens are ignored (forward compatibility). */
export function parseUnits(units: string | undefined): UnitsParts {
  const scopes: Scope[] = [];
  let position: number | undefined;
  let unit: string | undefined;
  let empty = false;
  let truncated = false;
  let namespace: string | undefined;
  let namespaceRef: string | undefined;
  let rest = units ?? '';
  while (rest !== '') {
    if (rest.startsWith('ns:')) {
      namespace = rest.slice(3);
      break;
    }
    const space = rest.indexOf(' ');
    const token = space === -1 ? rest : rest.slice(0, space);
    rest = space === -1 ? '' : rest.slice(space + 1);
    if (/^#\d+$/.test(token)) position = Number(token.slice(1));
    else if (token.startsWith('unit:')) unit = unescapeUnit(token.slice(5));
    else if (token === 'empty') empty = true;
    else if (token === 'truncated') truncated = true;
    else if (token.startsWith('ns#')) namespaceRef = token.slice(3);
    else {
      const colon = token.indexOf(':');
      const type = token.slice(0, colon);
      if (colon > 0 && SCOPE_TYPES.has(type)) scopes.push({ type: type as ScopeType, id: token.slice(colon + 1) });
    }
  }
  return { scopes, position, unit, empty, truncated, namespace, namespaceRef };
}
