import { XMLParser, type X2jOptions } from 'fast-xml-parser';
import { TransferXmlError } from './transfer-xml-error.js';
import { EntityReferenceFault } from './xml-parser-options.js';
import { assertSafeWellFormedXml, positionAt } from './xml-well-formedness.js';

/** Deepest element nesting accepted by default (root = 1); pack writes at most 6. */
export const DEFAULT_MAX_XML_DEPTH = 64;

/**
 * Decodes bytes (or takes text) within the size limit. UTF-8 only: OME-XML and pack both
 * write UTF-8; invalid sequences are refused rather than silently replaced.
 */
export function decodeXmlInput(input: string | Uint8Array, maxBytes: number, what: string): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > maxBytes) {
    throw new TransferXmlError({ code: 'too_large', message: `${what} is ${bytes} bytes, over the limit of ${maxBytes}` });
  }
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (cause) {
      throw new TransferXmlError({ code: 'malformed', message: `${what} is not valid UTF-8`, cause });
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Runs fast-xml-parser after the safety scan, turning its errors into TransferXmlError. The
 * scan has already proven the text well-formed, so what is left is the parser's own refusals
 * (reserved names such as `__proto__`, the entity decoder's).
 */
export function parseSafeXml(xml: string, options: X2jOptions, maxDepth: number): unknown {
  assertSafeWellFormedXml(xml, { maxDepth });
  try {
    return new XMLParser(options).parse(xml) as unknown;
  } catch (cause) {
    if (cause instanceof EntityReferenceFault) {
      const at = xml.indexOf(cause.reference);
      throw new TransferXmlError({ code: cause.code, message: cause.message, ...(at === -1 ? {} : positionAt(xml, at)), cause });
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/nested tags/i.test(message)) throw new TransferXmlError({ code: 'too_deep', message, cause });
    throw new TransferXmlError({ code: 'malformed', message, cause });
  }
}

