import { packingTimestampToIso } from './packing-timestamp.js';
import type { Provenance, ShapeType } from './transfer-model.js';
import { TransferXmlError } from './transfer-xml-error.js';
import { attribute, children, nonEmpty, type XmlNode } from './xml-node.js';

/**
 * Small readers shared by the transfer.xml model builders: element paths for error messages,
 * required IDs, references, integers, and the checks every element kind needs. They run for
 * every one of ~10^5 refs, ROIs and annotations of a large file, so they build an element's path
 * only when they fail.
 */

export const ROOT_PATH = '/OME';

export function fail(code: TransferXmlError['code'], message: string, path: string): never {
  throw new TransferXmlError({ code, message, path });
}

/** `parent/name[index + 1]`, the XPath-like step of an element, for error messages. */
export const stepPath = (parentPath: string, name: string, index: number): string => `${parentPath}/${name}[${index + 1}]`;

/** The element's ID. Its path is given as parent + name + index and only built for an error. */
export function requireId(node: XmlNode, parentPath: string, name: string, index: number, attributeName = 'ID'): string {
  const id = attribute(node, attributeName);
  if (id === undefined || id === '') fail('missing_id', `${attributeName} is required`, stepPath(parentPath, name, index));
  if (/\s/.test(id)) fail('invalid_id', `${attributeName} ${JSON.stringify(id)} contains white space`, stepPath(parentPath, name, index));
  return id;
}

/** The IDs of the `name` children (AnnotationRef, ImageRef...), each checked against `known` when given. */
export function refIds(node: XmlNode, name: string, parentPath: string, known?: ReadonlyMap<string, unknown>, kind?: string): string[] {
  const refs = children(node, name);
  const ids = new Array<string>(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const id = requireId(refs[i] ?? {}, parentPath, name, i);
    if (known && !known.has(id)) fail('dangling_ref', `no ${kind ?? 'element'} with ID ${id}`, stepPath(parentPath, name, i));
    ids[i] = id;
  }
  return ids;
}

export function integer(node: XmlNode, name: string, path: string, min: number, required: boolean): number | undefined {
  const raw = attribute(node, name);
  if (raw === undefined) {
    if (required) fail('invalid_value', `${name} is required`, path);
    return undefined;
  }
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) fail('invalid_value', `${name}=${JSON.stringify(raw)} is not an integer >= ${min}`, path);
  return n;
}

export function addUnique<T>(map: Map<string, T>, id: string, value: T, kind: string, path: () => string): void {
  // One hash operation, not has() then set(): this runs for every ROI and annotation.
  const before = map.size;
  const previous = map.get(id);
  map.set(id, value);
  if (map.size === before) {
    map.set(id, previous as T);
    fail('duplicate_id', `${kind} ${id} appears twice`, path());
  }
}

/** Refs in order, each once (a repeated ref adds nothing). */
export function unique(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  const set = new Set(ids);
  return set.size === ids.length ? ids : [...set];
}

export function provenanceFrom(
  read: (key: string) => string | undefined,
  annotationId: string,
  namespace: string | undefined,
  legacy: boolean,
): Provenance {
  const packingTimestampRaw = nonEmpty(read('packing_timestamp'));
  return {
    annotationId,
    namespace,
    ownerId: undefined,
    originImageId: nonEmpty(read('origin_image_id')),
    originPlateId: nonEmpty(read('origin_plate_id')),
    packingTimestampRaw,
    packingTimestamp: packingTimestampRaw === undefined ? undefined : packingTimestampToIso(packingTimestampRaw),
    software: nonEmpty(read('software')),
    version: nonEmpty(read('version')),
    originHostname: nonEmpty(read('origin_hostname')),
    md5: nonEmpty(read('md5')),
    originalUser: nonEmpty(read('original_user')),
    originalGroup: nonEmpty(read('original_group')),
    databaseId: nonEmpty(read('database_id')),
    legacy,
  };
}

const SHAPE_NAMES: readonly (readonly [string, ShapeType])[] = [
  ['Point', 'point'],
  ['Line', 'line'],
  ['Rectangle', 'rectangle'],
  ['Ellipse', 'ellipse'],
  ['Polygon', 'polygon'],
  ['Polyline', 'polyline'],
  ['Label', 'label'],
  ['Mask', 'mask'],
];

const isNameChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x5f || c === 0x2d || c === 0x2e || c > 0x7f;

/** Every shape type at zero, every key present in one order: all counts share one object shape. */
export const noShapes = (): Record<ShapeType, number> => ({ point: 0, line: 0, rectangle: 0, ellipse: 0, polygon: 0, polyline: 0, label: 0, mask: 0 });

/**
 * Counts the shape elements in a ROI's raw contents (already proven well-formed by the scan):
 * every start tag whose local name is a shape. A hand loop, not a regex: it runs over 10^5 ROIs
 * and allocates nothing.
 */
export function countShapes(raw: string, shapes: Record<ShapeType, number>): number {
  let count = 0;
  for (let i = raw.indexOf('<'); i !== -1; i = raw.indexOf('<', i + 1)) {
    const first = raw.charCodeAt(i + 1);
    if (first === 0x2f || first === 0x21 || first === 0x3f) continue; // </, <!, <?
    let end = i + 1;
    let start = end;
    while (end < raw.length && isNameChar(raw.charCodeAt(end))) {
      if (raw.charCodeAt(end) === 0x3a) start = end + 1; // a prefix: keep the local name
      end++;
    }
    const length = end - start;
    for (const [name, type] of SHAPE_NAMES) {
      if (name.length === length && raw.startsWith(name, start)) {
        shapes[type]++;
        count++;
        break;
      }
    }
  }
  return count;
}

/** Adds one ROI's shape counts to a running total (the eight fields spelled out: hot loop). */
export function addShapes(total: Record<ShapeType, number>, s: Readonly<Record<ShapeType, number>>): void {
  total.point += s.point;
  total.line += s.line;
  total.rectangle += s.rectangle;
  total.ellipse += s.ellipse;
  total.polygon += s.polygon;
  total.polyline += s.polyline;
  total.label += s.label;
  total.mask += s.mask;
}
