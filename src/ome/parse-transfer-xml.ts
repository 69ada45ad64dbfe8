import type { X2jOptions } from 'fast-xml-parser';
import { decodeXmlInput, DEFAULT_MAX_XML_DEPTH, parseSafeXml } from './safe-xml-parse.js';
import type { TransferModel } from './transfer-model.js';
import { TransferModelBuilder } from './transfer-model-builder.js';
import { TransferXmlError } from './transfer-xml-error.js';
import { createOmeXmlParserOptions } from './xml-parser-options.js';
import { locateElement } from './xml-well-formedness.js';
import { children, type XmlNode } from './xml-node.js';

export { RATING_NAMESPACE, TRANSFER_NAMESPACE } from './transfer-annotations.js';

export interface ParseTransferXmlOptions {
  /** Refuse documents larger than this many bytes (UTF-8); the agent passes `config.limits.maxXmlBytes`. */
  readonly maxBytes: number;
  /** Deepest element nesting accepted (root = 1). Default 64; pack writes at most 6. */
  readonly maxDepth?: number;
}

/** ROI contents stay raw text: shapes are counted, never parsed (see xml-parser-options.ts). */
export const TRANSFER_XML_RAW_ELEMENTS = ['OME.ROI'] as const;

/**
 * The fast-xml-parser options parseTransferXml uses, for a benchmark to time a bare parse with
 * the very same options.
 */
export function transferXmlParserOptions(maxDepth = DEFAULT_MAX_XML_DEPTH): X2jOptions {
  return createOmeXmlParserOptions({ maxDepth, rawElements: TRANSFER_XML_RAW_ELEMENTS });
}

/**
 * transfer.xml → TransferModel. Throws TransferXmlError (with line, column and element path)
 * for anything unsafe, malformed, or breaking the references the mapping relies on. Elements
 * it does not know are ignored.
 */
export function parseTransferXml(input: string | Uint8Array, options: ParseTransferXmlOptions): TransferModel {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  const xml = decodeXmlInput(input, options.maxBytes, 'transfer.xml');
  const doc = parseSafeXml(xml, transferXmlParserOptions(maxDepth), maxDepth);
  try {
    return buildModel(doc);
  } catch (error) {
    if (error instanceof TransferXmlError && error.path !== undefined && error.line === undefined) {
      throw error.withPosition(locateElement(xml, parseElementPath(error.path), { maxDepth }));
    }
    throw error;
  }
}

function parseElementPath(path: string): { name: string; position: number }[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((step) => {
      const m = /^(.*)\[(\d+)\]$/.exec(step);
      return m ? { name: m[1] ?? '', position: Number(m[2]) } : { name: step, position: 1 };
    });
}

function buildModel(doc: unknown): TransferModel {
  const top = doc !== null && typeof doc === 'object' ? (doc as XmlNode) : {};
  const root = children(top, 'OME')[0];
  if (root === undefined) {
    const rootName = Object.keys(top)[0];
    throw new TransferXmlError({ code: 'not_ome', message: `the root element is ${rootName ?? 'missing'}, not OME`, line: 1, column: 1 });
  }
  return new TransferModelBuilder(root).build();
}
