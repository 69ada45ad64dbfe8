import type { RandomAccessSource } from '../archive/random-access-source.js';
import { parseOmeXmlMetadata, type OmeXmlMetadata } from './ome-xml-metadata.js';
import { TransferXmlError } from './transfer-xml-error.js';
import type { TransferModel } from './transfer-model.js';

/** What the reader needs of a file: its size and ranged reads (the archive readers' source type). */
export type TiffSource = Pick<RandomAccessSource, 'size' | 'read'>;

export type OmeTiffErrorCode =
  /** Not a TIFF (no II/MM byte order, no 42/43 magic). */
  | 'not_tiff'
  /** An offset or length points beyond the end of the file, or a read came back short. */
  | 'truncated'
  /** The first IFD is unreadable (no IFD, absurd entry count, offsets beyond 2^53). */
  | 'bad_ifd'
  /** The ImageDescription is larger than the OME-XML limit. */
  | 'too_large'
  /** The description is OME-XML, but unsafe or malformed (see `cause`, a TransferXmlError). */
  | 'invalid_ome_xml';

export class OmeTiffError extends Error {
  override readonly name = 'OmeTiffError';
  constructor(
    readonly code: OmeTiffErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadOmeTiffOptions {
  /** Largest OME-XML accepted, in bytes; the agent passes `config.limits.maxXmlBytes`. */
  readonly maxXmlBytes: number;
  /** Largest first-IFD entry count accepted (real files have a few dozen). Default 4096. */
  readonly maxIfdEntries?: number;
}

const IMAGE_DESCRIPTION = 270;

/**
 * The OME-XML of an OME-TIFF: the first IFD's ImageDescription (tag 270), read with four small
 * ranged reads (header, IFD entry count, IFD entries, the description) and never the pixel
 * data. Classic TIFF and BigTIFF, little- and big-endian. Undefined when the first IFD has no
 * ImageDescription or it is not OME-XML (a plain or ImageJ TIFF).
 */
export async function readOmeTiffXml(source: TiffSource, options: ReadOmeTiffOptions): Promise<string | undefined> {
  const maxEntries = options.maxIfdEntries ?? 4096;
  const read = async (offset: number, length: number): Promise<Buffer> => {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > source.size) {
      throw new OmeTiffError('truncated', `bytes ${offset}..${offset + length} lie beyond the end of the file (${source.size} bytes)`);
    }
    const bytes = length === 0 ? Buffer.alloc(0) : await source.read(offset, length);
    if (bytes.length !== length) throw new OmeTiffError('truncated', `read ${bytes.length} of ${length} bytes at ${offset}`);
    return bytes;
  };
  if (source.size < 8) throw new OmeTiffError('not_tiff', 'too short to be a TIFF');
  const header = await read(0, Math.min(16, source.size));
  const order = header.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw new OmeTiffError('not_tiff', 'no TIFF byte-order mark');
  const little = order === 'II';
  const u16 = (b: Buffer, at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u64 = (b: Buffer, at: number): number => {
    const v = little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new OmeTiffError('bad_ifd', `offset ${v} is beyond 2^53`);
    return Number(v);
  };

  const magic = u16(header, 2);
  let big: boolean;
  let ifd: number;
  if (magic === 42) {
    big = false;
    ifd = u32(header, 4);
  } else if (magic === 43) {
    if (header.length < 16 || u16(header, 4) !== 8 || u16(header, 6) !== 0) throw new OmeTiffError('not_tiff', 'BigTIFF header with an unsupported offset size');
    big = true;
    ifd = u64(header, 8);
  } else {
    throw new OmeTiffError('not_tiff', `TIFF magic ${magic} is neither 42 nor 43 (BigTIFF)`);
  }
  if (ifd < 8) throw new OmeTiffError('bad_ifd', 'the file has no IFD');

  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const inlineSize = big ? 8 : 4;
  const countBytes = await read(ifd, countSize);
  const count = big ? u64(countBytes, 0) : u16(countBytes, 0);
  if (count > maxEntries) throw new OmeTiffError('bad_ifd', `first IFD claims ${count} entries (limit ${maxEntries})`);
  const entries = await read(ifd + countSize, count * entrySize);

  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    if (u16(entries, at) !== IMAGE_DESCRIPTION) continue;
    // ASCII (2), BYTE (1) and UNDEFINED (7) are all one byte per element.
    const length = big ? u64(entries, at + 4) : u32(entries, at + 4);
    if (length > options.maxXmlBytes) {
      throw new OmeTiffError('too_large', `ImageDescription is ${length} bytes, over the limit of ${options.maxXmlBytes}`);
    }
    const value = at + 4 + (big ? 8 : 4);
    const bytes = length <= inlineSize ? entries.subarray(value, value + length) : await read(big ? u64(entries, value) : u32(entries, value), length);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
    } catch (cause) {
      throw new OmeTiffError('invalid_ome_xml', 'ImageDescription is not valid UTF-8', { cause });
    }
    return /<(?:[\w.-]+:)?OME[\s>/]/.test(text) ? text : undefined;
  }
  return undefined;
}

/** readOmeTiffXml, then parseOmeXmlMetadata; undefined when the file carries no OME-XML. */
export async function readOmeTiffMetadata(source: TiffSource, options: ReadOmeTiffOptions): Promise<OmeXmlMetadata | undefined> {
  const xml = await readOmeTiffXml(source, options);
  if (xml === undefined) return undefined;
  try {
    return parseOmeXmlMetadata(xml, { maxBytes: options.maxXmlBytes });
  } catch (cause) {
    if (cause instanceof TransferXmlError) throw new OmeTiffError('invalid_ome_xml', `OME-XML header refused: ${cause.message}`, { cause });
    throw cause;
  }
}

/** Files whose first IFD may hold OME-XML: `*.ome.tif(f)` and the exported `pixel_images/*.tiff`. */
export function isOmeTiffCandidate(path: string): boolean {
  return /\.ome\.tiff?$/i.test(path) || /^pixel_images\/[^/]+\.tiff?$/i.test(path);
}

/** The image files of a transfer worth reading the header of, sorted, each once. */
export function omeTiffCandidates(model: TransferModel): string[] {
  const paths = new Set<string>();
  for (const image of model.images) if (image.path?.kind === 'file' && isOmeTiffCandidate(image.path.target)) paths.add(image.path.target);
  return [...paths].sort();
}
