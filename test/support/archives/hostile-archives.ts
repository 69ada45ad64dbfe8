import { gzipSync } from 'node:zlib';
import { writeArchive } from './temp-files.js';
import {
  craftTarBytes,
  gnuLongName,
  paxEntry,
  tarDirectory,
  tarFile,
  type CraftedTarEntry,
} from './tar-crafter.js';
import { craftZipBytes, type CraftedZipEntry } from './zip-crafter.js';

/**
 * Broken and hostile archives, each written to a scratch file (path returned). Every archive
 * also carries a harmless `transfer.xml` first, so that a reader that stops at the first entry
 * would miss the problem: the tests prove the refusal comes from the bad entry itself.
 */

const XML = '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"/>';
const okZipEntry: CraftedZipEntry = { name: 'transfer.xml', data: XML };
const okTarEntry: CraftedTarEntry = tarFile('transfer.xml', XML);

function zip(entries: readonly CraftedZipEntry[]): Promise<string> {
  return writeArchive(craftZipBytes([okZipEntry, ...entries]), '.zip');
}

function tar(entries: readonly CraftedTarEntry[], endBlocks = 2): Promise<string> {
  return writeArchive(craftTarBytes([okTarEntry, ...entries], { endBlocks }), '.tar');
}

// ---- zip ----

/** A zip with one more entry named `name` (string, or raw bytes). */
export function zipWithEntryName(name: string | Buffer, data: string = 'payload'): Promise<string> {
  return zip([{ name, data }]);
}

/** A zip with entries named `names`, in order (for duplicates and file/folder clashes). */
export function zipWithEntries(names: readonly string[]): Promise<string> {
  return zip(names.map((name) => ({ name, data: name.endsWith('/') ? '' : `content of ${name}` })));
}

/**
 * A zip bomb: `zeroBytes` of zeros deflated (about a thousandth of the size) in `bomb.bin`.
 * `declaredSize` makes both headers lie about the uncompressed size.
 */
export function zipBomb(options: { zeroBytes?: number; declaredSize?: number } = {}): Promise<string> {
  const data = Buffer.alloc(options.zeroBytes ?? 8 * 1024 * 1024);
  return zip([{ name: 'bomb.bin', data, ...(options.declaredSize === undefined ? {} : { uncompressedSize: options.declaredSize }) }]);
}

/** An entry whose header declares `declaredSize` bytes while its data holds `data`. */
export function zipWithLyingSize(data: Buffer, declaredSize: number, method: 0 | 8 = 8): Promise<string> {
  const entry: CraftedZipEntry =
    method === 0
      ? { name: 'liar.bin', data, method: 0, uncompressedSize: declaredSize, compressedSize: declaredSize }
      : { name: 'liar.bin', data, method: 8, uncompressedSize: declaredSize };
  return zip([entry]);
}

/** A password-protected entry (general purpose bit 0). */
export function zipEncrypted(): Promise<string> {
  return zip([{ name: 'secret.txt', data: 'not really encrypted', flags: 0x0001 }]);
}

/** A symbolic link (Unix mode 0120777 in the external attributes). */
export function zipWithSymlink(target: string = '/etc/passwd'): Promise<string> {
  return zip([{ name: 'link', data: target, method: 0, externalAttributes: (0o120777 << 16) >>> 0 }]);
}

/** An entry compressed with `method` (12 bzip2, 14 LZMA, 93 zstd...). */
export function zipWithMethod(method: number): Promise<string> {
  return zip([{ name: 'packed.bin', data: 'abc', method, compressed: Buffer.from('abc') }]);
}

export type LocalHeaderField = 'name' | 'method' | 'crc32' | 'compressedSize' | 'uncompressedSize';

/** An entry whose local header disagrees with its central directory record on `field`. */
export function zipWithLocalHeaderMismatch(field: LocalHeaderField): Promise<string> {
  const data = Buffer.from('the same bytes, described twice');
  const local: CraftedZipEntry['local'] =
    field === 'name'
      ? { name: 'other.txt' }
      : field === 'method'
        ? { method: 0 }
        : field === 'crc32'
          ? { crc32: 0x12345678 }
          : field === 'compressedSize'
            ? { compressedSize: 3 }
            : { uncompressedSize: 3 };
  return zip([{ name: 'entry.txt', data, local }]);
}

/** An entry whose data does not match its CRC-32 (in both headers). */
export function zipWithCrcMismatch(): Promise<string> {
  return zip([{ name: 'damaged.txt', data: 'bytes that were damaged in transit', crc32: 0xdeadbeef }]);
}

/** A zip cut after `keep` bytes (default: half), as an interrupted upload leaves it. */
export async function zipTruncated(keep?: number): Promise<string> {
  const whole = craftZipBytes([okZipEntry, { name: 'image.tif', data: Buffer.alloc(64 * 1024, 7) }]);
  return writeArchive(whole.subarray(0, keep ?? Math.floor(whole.length / 2)), '.zip');
}

/** A name with bytes that are not UTF-8, with the UTF-8 flag set. */
export function zipWithInvalidUtf8Name(): Promise<string> {
  return zip([{ name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]), data: 'x', flags: 0x0800 }]);
}

/** Two entries whose data overlap (the second's local header points into the first's data). */
export function zipWithOverlappingEntries(): Promise<string> {
  const bytes = craftZipBytes([
    { name: 'a.bin', data: Buffer.alloc(4096, 1), method: 0 },
    { name: 'b.bin', data: Buffer.alloc(4096, 1), method: 0, headerOffset: 0 },
  ]);
  return writeArchive(bytes, '.zip');
}

/** A valid zip with no entries at all (nothing but its end record). */
export function emptyZip(): Promise<string> {
  return writeArchive(craftZipBytes([]), '.zip');
}

/** A zip with `count` tiny files. */
export function zipWithManyEntries(count: number): Promise<string> {
  return zip(Array.from({ length: count }, (_, i) => ({ name: `f/${i}.txt`, data: String(i), method: 0 })));
}

// ---- tar ----

/** A tar with one more regular file named `name` (string or raw bytes). */
export function tarWithEntryName(name: string | Buffer): Promise<string> {
  return tar([tarFile(name, 'payload')]);
}

/** A tar entry of a type other than file/folder: '1' hard link, '2' symlink, '3'/'4' devices, '6' FIFO, 'S' sparse... */
export function tarWithEntryType(typeflag: string, name: string = 'special'): Promise<string> {
  const linkname = typeflag === '1' || typeflag === '2' ? '../../etc/passwd' : undefined;
  return tar([{ header: { name, typeflag, ...(linkname ? { linkname } : {}) } }]);
}

/** A long name (over 100 bytes) as a GNU long-name entry or a PAX path record. */
export function tarWithLongName(kind: 'gnu' | 'pax', name: string, data: string = 'long'): Promise<string> {
  const entry = tarFile(name.slice(0, 99), data);
  return tar(kind === 'gnu' ? gnuLongName(name, entry) : paxEntry({ path: name }, entry));
}

/** A name whose bytes are not UTF-8, in the plain header, a GNU long name or a PAX record. */
export function tarWithInvalidUtf8Name(kind: 'ustar' | 'gnu' | 'pax' = 'ustar'): Promise<string> {
  const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]);
  if (kind === 'ustar') return tar([tarFile(bad, 'x')]);
  const entry = tarFile('placeholder.txt', 'x');
  return tar(kind === 'gnu' ? gnuLongName(bad, entry) : paxEntry({ path: bad }, entry));
}

/**
 * A tar cut short: in the middle of an entry's data, in the middle of a header, or exactly after
 * the last entry (the end-of-archive marker missing).
 */
export async function tarTruncated(where: 'mid-data' | 'mid-header' | 'no-end-marker'): Promise<string> {
  const entries = [okTarEntry, tarDirectory('images'), tarFile('images/a.tif', Buffer.alloc(5000, 3))];
  if (where === 'no-end-marker') return writeArchive(craftTarBytes(entries, { endBlocks: 0 }), '.tar');
  const whole = craftTarBytes(entries);
  // Header of images/a.tif starts after transfer.xml (512 + 512) and the folder (512).
  const cut = where === 'mid-data' ? 1536 + 512 + 3000 : 1536 + 200;
  return writeArchive(whole.subarray(0, cut), '.tar');
}

/** A header whose checksum is wrong. */
export function tarWithBadChecksum(): Promise<string> {
  return tar([tarFile('bad.txt', 'x', { checksum: 1234 })]);
}

/** Nothing but the end-of-archive marker. */
export function emptyTar(): Promise<string> {
  return writeArchive(Buffer.alloc(1024), '.tar');
}

/** A tar.gz whose tar is mostly `zeroBytes` of zeros: a gzip bomb. */
export function tarGzBomb(zeroBytes: number = 16 * 1024 * 1024): Promise<string> {
  return writeArchive(gzipSync(craftTarBytes([okTarEntry, tarFile('zeros.bin', Buffer.alloc(zeroBytes))])), '.tar.gz');
}

/** A tar.gz cut in the middle of its gzip stream. */
export function tarGzTruncated(): Promise<string> {
  const random = Buffer.alloc(32 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (i * 7919) % 251;
  const whole = gzipSync(craftTarBytes([okTarEntry, tarFile('data.bin', random)]));
  return writeArchive(whole.subarray(0, Math.floor(whole.length * 0.6)), '.tar.gz');
}

/** A tar with entries named `names` (for duplicates). A name ending in `/` is a folder. */
export function tarWithEntries(names: readonly string[]): Promise<string> {
  return tar(names.map((name) => (name.endsWith('/') ? tarDirectory(name) : tarFile(name, `content of ${name}`))));
}
