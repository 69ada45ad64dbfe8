/**
 * Reading fast-xml-parser's output (options in xml-parser-options.ts) without `any`: an element
 * is an object (attributes under `@Name`, text under `#text`), or a bare string when it has
 * neither attributes nor children, and repeated siblings are an array.
 */
export type XmlNode = { readonly [key: string]: unknown };

const TEXT = '#text';
const EMPTY: readonly XmlNode[] = [];

function asNode(value: unknown): XmlNode | undefined {
  if (typeof value === 'string') return { [TEXT]: value };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as XmlNode;
  return undefined;
}

/** The child elements with this local name, in document order. */
export function children(node: XmlNode, name: string): readonly XmlNode[] {
  const value = node[name];
  if (value === undefined) return EMPTY;
  if (Array.isArray(value)) {
    // Repeated elements with attributes (refs, annotations) are already objects: no copy.
    const items = value as unknown[];
    let allNodes = true;
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        allNodes = false;
        break;
      }
    }
    if (allNodes) return items as XmlNode[];
    const out: XmlNode[] = [];
    for (const item of value as unknown[]) {
      const child = asNode(item);
      if (child) out.push(child);
    }
    return out;
  }
  const child = asNode(value);
  return child ? [child] : EMPTY;
}

/** `@Name` keys, built once: a key made per call would be re-hashed on every lookup (hot path). */
const attributeKeys = new Map<string, string>();

export function attribute(node: XmlNode, name: string): string | undefined {
  let key = attributeKeys.get(name);
  if (key === undefined) {
    key = `@${name}`;
    attributeKeys.set(name, key);
  }
  const value = node[key];
  return typeof value === 'string' ? value : undefined;
}

/** The element's own text ('' when it has none). */
export function textOf(node: XmlNode): string {
  const value = node[TEXT];
  return typeof value === 'string' ? value : '';
}

/** The text of the first child with this name, or undefined when there is no such child. */
export function childText(node: XmlNode, name: string): string | undefined {
  const first = children(node, name)[0];
  return first === undefined ? undefined : textOf(first);
}

/** '' → undefined, for optional text. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
