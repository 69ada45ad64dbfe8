import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { ArchiveRejected } from './archive-rejected.js';
import type { ArchiveFormat } from './archive-types.js';
import type { RandomAccessSource } from './random-access-source.js';

/** How many leading bytes detectFormat wants (it copes with fewer, and decides less). */
export const FORMAT_HEAD_BYTES = 64 * 1024;

const ZIP_LOCAL_HEADER = 0x04034b50;
const ZIP_END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP_EOCD_SIZE = 22;
const TAR_BLOCK = 512;

/**
 * The archive format, judged by content: a zip local header (or, for an empty zip, the end of
 * central directory record at offset 0), a tar header with a valid checksum (ustar, GNU or v7),
 * or gzip magic whose first decompressed block is a tar header. The name (`.zip`, `.tar`,
 * `.tar.gz`, `.tgz`) only breaks ties: bytes that are both a zip signature and a valid tar header,
 * a tar that starts with an all-zero block (empty), or a gzip head too short to look inside.
 * Undefined: not an archive the agent reads.
 */
export function detectFormat(head: Buffer, name?: string): ArchiveFormat | undefined {
  const byName = formatFromName(name);
  const zip = looksLikeZip(head);
  const firstBlock = head.length >= TAR_BLOCK ? head.subarray(0, TAR_BLOCK) : undefined;
  const tar = firstBlock !== undefined && isTarHeader(firstBlock);

  if (zip && tar) return byName === 'tar' ? 'tar' : 'zip';
  if (zip) return 'zip';
  if (tar) return 'tar';
  if (firstBlock !== undefined && isZeroBlock(firstBlock)) return byName === 'tar' ? 'tar' : undefined;

  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) {
    const inner = gunzipHead(head);
    if (inner !== undefined && inner.length >= TAR_BLOCK) {
      const block = inner.subarray(0, TAR_BLOCK);
      if (isTarHeader(block)) return 'tar.gz';
      return isZeroBlock(block) && byName === 'tar.gz' ? 'tar.gz' : undefined;
    }
    return byName === 'tar.gz' ? 'tar.gz' : undefined;
  }
  return undefined;
}

/** The format the name suggests, if any (case-insensitive). */
export function formatFromName(name: string | undefined): ArchiveFormat | undefined {
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar')) return 'tar';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return undefined;
}

/**
 * Reads the head of `source` and detects its format; throws ArchiveRejected('not_an_archive')
 * when the bytes are not zip, tar or tar.gz (or there are none).
 */
export async function detectSourceFormat(
  source: RandomAccessSource,
  name?: string,
  signal?: AbortSignal,
): Promise<ArchiveFormat> {
  if (source.size === 0) {
    throw new ArchiveRejected('not_an_archive', 'The archive was refused: the file is empty.');
  }
  const head = await source.read(0, Math.min(source.size, FORMAT_HEAD_BYTES), signal);
  const format = detectFormat(head, name);
  if (format === undefined) {
    throw new ArchiveRejected(
      'not_an_archive',
      'The archive was refused: its content is not a zip, tar or tar.gz archive (whatever its name says).',
    );
  }
  return format;
}

function looksLikeZip(head: Buffer): boolean {
  if (head.length < 4) return false;
  const signature = head.readUInt32LE(0);
  if (signature === ZIP_LOCAL_HEADER) return true;
  // An empty zip is nothing but its end record (22 bytes plus a comment) with zero entries.
  return (
    signature === ZIP_END_OF_CENTRAL_DIRECTORY &&
    head.length >= ZIP_EOCD_SIZE &&
    head.readUInt16LE(10) === 0 &&
    head.readUInt16LE(20) === head.length - ZIP_EOCD_SIZE
  );
}

/** A 512-byte block whose checksum field matches its content (ustar, GNU or v7). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK || isZeroBlock(block)) return false;
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    // The checksum field counts as eight spaces.
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) return false;
  const magic = block.toString('latin1', 257, 263);
  if (magic === 'ustar\0' || magic === 'ustar ') return true;
  // v7: no magic; demand a plausible type flag and a name so that random bytes rarely pass.
  const type = block[156] ?? 0;
  return (type === 0 || (type >= 0x30 && type <= 0x37)) && block[0] !== 0;
}

function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function parseOctal(field: Buffer): number | undefined {
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

/** The start of a gzip stream, decompressed as far as the head allows (bounded output). */
function gunzipHead(head: Buffer): Buffer | undefined {
  try {
    return gunzipSync(head.subarray(0, 4096), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: 4 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}
