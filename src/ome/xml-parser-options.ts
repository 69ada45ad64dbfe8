import type { X2jOptions } from 'fast-xml-parser';

/** The five entities XML predefines; nothing else is ever expanded (DOCTYPEs are refused). */
const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const REFERENCE = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][\w.-]*)?(;)?/g;

/**
 * Thrown by the decoder from inside fast-xml-parser, which does not say where it was:
 * `reference` is the offending text, for the caller to find in the document.
 */
export class EntityReferenceFault extends Error {
  override readonly name = 'EntityReferenceFault';
  constructor(
    readonly code: 'malformed' | 'entity_forbidden',
    message: string,
    readonly reference: string,
  ) {
    super(message);
  }
}

/** XML 1.0 `Char`: which code points a character reference may name. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function decodeReferences(text: string): string {
  if (text.indexOf('&') === -1) return text;
  return text.replace(REFERENCE, (whole, name: string | undefined, semicolon: string | undefined) => {
    if (name === undefined || semicolon === undefined) {
      throw new EntityReferenceFault('malformed', `'&' that does not start a reference: ${JSON.stringify(whole)}`, whole);
    }
    if (name.startsWith('#')) {
      const cp = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (!isXmlChar(cp)) throw new EntityReferenceFault('malformed', `character reference ${whole} names no XML character`, whole);
      return String.fromCodePoint(cp);
    }
    const value = XML_ENTITIES[name];
    if (value === undefined) throw new EntityReferenceFault('entity_forbidden', `reference to undeclared entity ${whole}`, whole);
    return value;
  });
}

/**
 * fast-xml-parser's own decoder only decodes numeric character references with its HTML mode
 * on; this one does exactly what XML 1.0 without a DTD allows, and throws on anything else.
 * It keeps no state, so one object can serve any number of parses.
 */
const xmlOnlyEntityDecoder = {
  setExternalEntities: (): void => undefined,
  addInputEntities: (entities: Record<string, string>): void => {
    // Unreachable: documents with a DOCTYPE are refused before parsing. Kept as a second lock.
    const names = Object.keys(entities);
    if (names.length > 0) throw new EntityReferenceFault('entity_forbidden', 'entity declarations are not allowed', `<!ENTITY ${names[0] ?? ''}`);
  },
  reset: (): void => undefined,
  decode: decodeReferences,
  setXmlVersion: (): void => undefined,
};

export interface OmeXmlParserLimits {
  /** Deepest allowed element nesting; the parser's own guard, behind the pre-parse scan. */
  readonly maxDepth: number;
  /**
   * Elements kept as raw text instead of parsed (their attributes are still parsed). The
   * transfer.xml parse keeps ROI contents raw: shapes are only counted, and ROIs are most of
   * the bytes of a large archive (this halves the parse time on the benchmark file).
   */
  readonly rawElements?: readonly string[];
}

/**
 * The fast-xml-parser options for OME-XML. Exported so the benchmark can time a bare parse with
 * exactly the same options.
 *
 * - `removeNSPrefix`: elements are matched by local name (the inner elements of the transfer
 *   tool's XMLAnnotations carry no namespace, OME's carry the default one).
 * - `parseTagValue`/`parseAttributeValue` off: ids are 64-bit numbers beyond 2^53 and must stay
 *   strings; everything is a string until the model builder checks it.
 * - `trimValues` on: white space around values is dropped (measured ~30% cheaper than keeping
 *   it; the `<M K="k"> </M>` of older packs then reads as an empty value, which it meant).
 */
export function createOmeXmlParserOptions(limits: OmeXmlParserLimits): X2jOptions {
  return {
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: true,
    entityDecoder: xmlOnlyEntityDecoder,
    // The parser counts the stack before the push, so its limit is one below ours.
    maxNestedTags: Math.max(1, limits.maxDepth - 1),
    stopNodes: [...(limits.rawElements ?? [])],
    jPath: false,
  };
}
