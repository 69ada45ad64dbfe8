import { TransferXmlError } from './transfer-xml-error.js';

/**
 * One pass over the XML text, before fast-xml-parser sees it: refuses DOCTYPE and other
 * declarations (so no entity is ever declared, let alone expanded), bounds the nesting depth,
 * and checks well-formedness (balanced tags, quoted attributes, one root, nothing but white
 * space outside it) with a line and column for the first fault.
 *
 * Why not fast-xml-parser's XMLValidator: on a 80 MB transfer.xml it costs as much CPU as the
 * parse itself (measured: bench/metadata), while the parser alone is lenient — it silently
 * closes unclosed tags and drops unquoted attributes, so a truncated upload would map to a
 * plausible but partial model. This tag-level scan costs under a tenth of the parse. The
 * validator is still used on the error path for its wording (see parse-transfer-xml.ts).
 */

const NAME = String.raw`[A-Za-z_\u00C0-\uFFFF][\w.\-:\u00B7-\uFFFF]*`;
const ATTRIBUTE = String.raw`\s+${NAME}\s*=\s*(?:"[^"<]*"|'[^'<]*')`;
/**
 * Sticky, tried at each '<': 1 = open tag name, 2 = '/' of a self-closing tag, 3 = close tag
 * name. Comments, CDATA sections and processing instructions match with no group. Every
 * repetition is delimited (quotes, a name after white space), so a failed match is linear in
 * the length of the tag: a hostile run of spaces cannot make it quadratic.
 */
const TAG = new RegExp(
  String.raw`<(?:(${NAME})(?:${ATTRIBUTE})*\s*(\/?)>|\/(${NAME})\s*>|!--[\s\S]*?-->|!\[CDATA\[[\s\S]*?\]\]>|\?[\s\S]*?\?>)`,
  'y',
);

export interface XmlSafetyLimits {
  /** Deepest allowed element nesting (the root is depth 1). */
  readonly maxDepth: number;
}

export interface XmlPosition {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column of a UTF-16 index (computed only when reporting an error). */
export function positionAt(xml: string, index: number): XmlPosition {
  let line = 1;
  let lineStart = 0;
  for (let nl = xml.indexOf('\n'); nl !== -1 && nl < index; nl = xml.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: index - lineStart + 1 };
}

const localName = (name: string): string => {
  const colon = name.lastIndexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
};

function fault(xml: string, index: number, code: 'malformed' | 'too_deep' | 'doctype_forbidden' | 'entity_forbidden' | 'declaration_forbidden', message: string): TransferXmlError {
  return new TransferXmlError({ code, message, ...positionAt(xml, index) });
}

function isWhiteSpace(xml: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = xml.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

type TagVisitor = (kind: 'open' | 'close' | 'empty', name: string, index: number, depth: number) => boolean | void;

/**
 * Walks every tag; `visit` returns false to stop early. Throws TransferXmlError for the first
 * fault. `depth` is the depth of the element the tag belongs to (root = 1).
 */
function walkTags(xml: string, limits: XmlSafetyLimits, visit?: TagVisitor): void {
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  for (;;) {
    const at = xml.indexOf('<', pos);
    if (stack.length === 0 && !isWhiteSpace(xml, pos, at === -1 ? xml.length : at)) {
      throw fault(xml, pos + (xml.slice(pos).search(/\S/) >>> 0), 'malformed', 'text outside the root element');
    }
    if (at === -1) break;
    TAG.lastIndex = at;
    const m = TAG.exec(xml);
    if (!m) {
      if (xml.startsWith('<!DOCTYPE', at)) throw fault(xml, at, 'doctype_forbidden', 'DOCTYPE is not allowed in transfer.xml');
      if (xml.startsWith('<!ENTITY', at)) throw fault(xml, at, 'entity_forbidden', 'entity declarations are not allowed');
      if (xml.startsWith('<!', at) && !xml.startsWith('<!--', at) && !xml.startsWith('<![CDATA[', at)) {
        throw fault(xml, at, 'declaration_forbidden', 'markup declarations are not allowed');
      }
      throw fault(xml, at, 'malformed', 'not a well-formed tag');
    }
    const open = m[1];
    const close = m[3];
    if (open !== undefined) {
      if (stack.length === 0 && ++roots > 1) throw fault(xml, at, 'malformed', 'a second root element');
      const selfClosing = m[2] === '/';
      if (stack.length + 1 > limits.maxDepth) {
        throw fault(xml, at, 'too_deep', `elements nested deeper than ${limits.maxDepth}`);
      }
      if (visit && visit(selfClosing ? 'empty' : 'open', open, at, stack.length + 1) === false) return;
      if (!selfClosing) stack.push(open);
    } else if (close !== undefined) {
      const expected = stack.pop();
      if (expected !== close) {
        throw fault(
          xml,
          at,
          'malformed',
          expected === undefined ? `closing tag </${close}> with no open element` : `expected </${expected}> but found </${close}>`,
        );
      }
      if (visit && visit('close', close, at, stack.length + 1) === false) return;
    } else if (stack.length === 0 && xml.startsWith('<![CDATA[', at)) {
      throw fault(xml, at, 'malformed', 'CDATA outside the root element');
    }
    pos = TAG.lastIndex;
  }
  if (stack.length > 0) {
    throw fault(xml, xml.length, 'malformed', `unexpected end of document: <${stack[stack.length - 1] ?? ''}> is not closed (truncated file?)`);
  }
  if (roots === 0) throw fault(xml, 0, 'malformed', 'no root element');
}

/** Throws TransferXmlError unless the text is well-formed, declaration-free and shallow enough. */
export function assertSafeWellFormedXml(xml: string, limits: XmlSafetyLimits): void {
  walkTags(xml, limits);
}

/**
 * Where the element at `path` (local names, 1-based positions among same-named siblings, as in
 * TransferXmlError.path) starts; undefined if there is none. Used only to put a line and column
 * on an error found after parsing.
 */
export function locateElement(xml: string, path: readonly { readonly name: string; readonly position: number }[], limits: XmlSafetyLimits): XmlPosition | undefined {
  if (path.length === 0) return undefined;
  // counts[d] = occurrences of each local name among the children of the open element at depth d.
  const counts: Map<string, number>[] = [new Map<string, number>()];
  let matched = 0;
  let found: number | undefined;
  walkTags(xml, limits, (kind, name, index, depth) => {
    if (kind === 'close') {
      counts.length = depth;
      if (depth <= matched) matched = depth - 1;
      return true;
    }
    const siblings = counts[depth - 1] ?? new Map<string, number>();
    counts[depth - 1] = siblings;
    const local = localName(name);
    const n = (siblings.get(local) ?? 0) + 1;
    siblings.set(local, n);
    const want = path[depth - 1];
    if (depth === matched + 1 && want && want.name === local && want.position === n) {
      matched = depth;
      if (matched === path.length) {
        found = index;
        return false;
      }
    }
    if (kind === 'open') counts[depth] = new Map<string, number>();
    return true;
  });
  return found === undefined ? undefined : positionAt(xml, found);
}
