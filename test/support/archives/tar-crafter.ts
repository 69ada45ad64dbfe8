import { writeArchive } from './temp-files.js';

/**
 * Tar headers written byte by byte: links, devices, GNU long names, PAX records, names that are
 * not UTF-8, wrong checksums. `craftTarBytes` lays out entries the way tar does (header, data
 * padded to 512, two zero blocks at the end).
 */
export interface TarHeaderSpec {
  /** Up to 100 bytes (use `prefix`, a GNU long name or PAX for more). A Buffer is written as is. */
  readonly name: string | Buffer;
  readonly size?: number;
  /** '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' directory,
   * '6' FIFO, 'L' GNU long name, 'x' PAX, 'g' PAX global, 'S' GNU sparse, ... */
  readonly typeflag?: string;
  readonly linkname?: string;
  readonly mode?: number;
  /** ustar (default), gnu ("ustar  \0") or v7 (no magic). */
  readonly format?: 'ustar' | 'gnu' | 'v7';
  /** ustar prefix field (joined to the name with `/`). */
  readonly prefix?: string | Buffer;
  /** Written instead of the correct checksum. */
  readonly checksum?: number;
  readonly mtime?: number;
}

export function tarHeader(spec: TarHeaderSpec): Buffer {
  const block = Buffer.alloc(512);
  const name = typeof spec.name === 'string' ? Buffer.from(spec.name) : spec.name;
  name.copy(block, 0, 0, Math.min(name.length, 100));
  octal(block, 100, 8, spec.mode ?? (spec.typeflag === '5' ? 0o755 : 0o644));
  octal(block, 108, 8, 1000);
  octal(block, 116, 8, 1000);
  octal(block, 124, 12, spec.size ?? 0);
  octal(block, 136, 12, spec.mtime ?? 1_704_164_646);
  block.write(spec.typeflag ?? '0', 156, 'latin1');
  if (spec.linkname) block.write(spec.linkname, 157, 100, 'utf8');
  const format = spec.format ?? 'ustar';
  if (format === 'ustar') {
    block.write('ustar\0', 257, 'latin1');
    block.write('00', 263, 'latin1');
  } else if (format === 'gnu') {
    block.write('ustar  \0', 257, 'latin1');
  }
  if (format !== 'v7') {
    block.write('user', 265, 'latin1');
    block.write('group', 297, 'latin1');
  }
  if (spec.prefix !== undefined) {
    const prefix = typeof spec.prefix === 'string' ? Buffer.from(spec.prefix) : spec.prefix;
    prefix.copy(block, 345, 0, Math.min(prefix.length, 155));
  }
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  const checksum = spec.checksum ?? sum;
  block.write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, 'latin1');
}

/** PAX extended header records (`<len> key=value\n`), as bytes. */
export function paxRecords(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(length)), body]));
  }
  return Buffer.concat(parts);
}

export interface CraftedTarEntry {
  readonly header: TarHeaderSpec;
  /** Data after the header (padded to 512); its length is the header's size unless given. */
  readonly data?: Buffer | string;
}

/** Convenience: a regular file entry. */
export function tarFile(name: string | Buffer, data: Buffer | string, extra: Partial<TarHeaderSpec> = {}): CraftedTarEntry {
  return { header: { name, ...extra }, data };
}

/** Convenience: a folder entry. */
export function tarDirectory(name: string): CraftedTarEntry {
  return { header: { name: name.endsWith('/') ? name : `${name}/`, typeflag: '5' } };
}

/** A GNU long-name entry (type 'L') followed by the entry it names. */
export function gnuLongName(name: string | Buffer, entry: CraftedTarEntry): CraftedTarEntry[] {
  const bytes = Buffer.concat([typeof name === 'string' ? Buffer.from(name) : name, Buffer.from([0])]);
  return [{ header: { name: '././@LongLink', typeflag: 'L', format: 'gnu' }, data: bytes }, entry];
}

/** A PAX extended header carrying `records`, followed by the entry it applies to. */
export function paxEntry(records: Record<string, string | Buffer>, entry: CraftedTarEntry): CraftedTarEntry[] {
  return [{ header: { name: 'PaxHeader/entry', typeflag: 'x' }, data: paxRecords(records) }, entry];
}

export interface CraftTarOptions {
  /** Zero blocks at the end (default 2, tar's end-of-archive marker). */
  readonly endBlocks?: number;
}

export function craftTarBytes(entries: readonly CraftedTarEntry[], options: CraftTarOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    parts.push(tarHeader({ size: data.length, ...entry.header }));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(512 * (options.endBlocks ?? 2)));
  return Buffer.concat(parts);
}

export function craftTar(entries: readonly CraftedTarEntry[], options: CraftTarOptions = {}): Promise<string> {
  return writeArchive(craftTarBytes(entries, options), '.tar');
}
