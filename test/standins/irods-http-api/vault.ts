import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { copyFile, mkdir, open, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';

/** How a write opens the replica's file (dstream's open flags, see operations/data-objects.ts). */
export type OpenMode = 'truncate' | 'keep' | 'append';

const FLAGS: Record<OpenMode, string> = { truncate: 'w', keep: 'r+', append: 'a' };

/** The longest file name Linux file systems (ext4, xfs, tmpfs) hold. */
const NAME_MAX = 255;

/** Files up to this size are read whole, synchronously, for their checksum. */
const SYNC_READ_LIMIT = 1 << 20;

/**
 * The bytes of replicas: files on local disk at their DATA_PATH, which for a replica created in
 * a vault is the resource's vault path followed by the logical path without its zone, as the
 * default vault path policy lays it out (see physicalPathFor). Directories are made on the way
 * when a file is created, as rsFileCreate does after ENOENT; renames move the files.
 *
 * Small file operations (open, write, close, reading a small file whole) are made synchronously
 * on the event loop. Measured on the development machines (4 KiB files, 8 at a time): creating a
 * file costs 170 µs of CPU this way against 570–700 µs through libuv's thread pool, and reading
 * one for its checksum 40–50 µs against 450–520 µs through a read stream; the wall time is lower
 * too. The stand-in stands for a multi-threaded C++ server, whose cost per request is nothing
 * like a thread-pool round trip per call. Whole big files (downloads, checksums above
 * SYNC_READ_LIMIT) still stream, so one request never holds the loop for long.
 */
export class Vault {
  /** Directories known to exist: a create in them needs no mkdir. */
  private readonly knownDirs = new Set<string>();

  /** Makes a directory (and its parents) that the stand-in serves from, such as demoResc's vault. */
  async init(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  /**
   * Makes ready the file of a new replica, as its physical create at open would: the name must
   * fit the file system (NAME_MAX, 255 bytes: ENAMETOOLONG otherwise, as open() reports it) and
   * the directories are made (rsFileCreate makes them after ENOENT). The file itself is created by
   * the replica's first write, or by `touch` when nothing is written: one open per small file
   * instead of two. Throws a Node-style error with errno and syscall, for the caller to map.
   */
  prepareCreate(path: string): void {
    for (const name of path.split('/')) {
      if (Buffer.byteLength(name, 'utf8') > NAME_MAX) {
        throw Object.assign(new Error(`ENAMETOOLONG: name too long, open '${path}'`), { code: 'ENAMETOOLONG', errno: -36, syscall: 'open' });
      }
    }
    const dir = dirname(path);
    if (!this.knownDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
  }

  /** Moves a replica's file to its new DATA_PATH (a rename of the object or of a collection above it). */
  move(from: string, to: string): void {
    const dir = dirname(to);
    if (!this.knownDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    renameSync(from, to);
  }

  /** Opens as the replica open does (creating or truncating for 'truncate'), writing nothing. */
  async touch(path: string, mode: OpenMode): Promise<void> {
    closeSync(openSync(path, FLAGS[mode]));
  }

  /**
   * Writes `data` at `offset` (ignored when appending). Returns the file size afterwards: known
   * without a stat after truncation, read from the file otherwise.
   */
  async write(path: string, mode: OpenMode, offset: number, data: Buffer): Promise<number> {
    const fd = openSync(path, FLAGS[mode]);
    try {
      writeAll(fd, data, mode === 'append' ? null : offset);
      if (mode === 'truncate') return data.length > 0 ? offset + data.length : 0;
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Writes a request body into the file from `offset` as it arrives (the header-style write
   * forwards the body this way, never holding it whole; the source pauses while a chunk is
   * written). Fails with TooManyBytes once more than `maxBytes` arrived, leaving the rest unread.
   * Returns the file size afterwards.
   */
  async writeStream(path: string, mode: OpenMode, offset: number, source: Readable, maxBytes: number): Promise<number> {
    const fd = openSync(path, FLAGS[mode]);
    try {
      let position: number | null = mode === 'append' ? null : offset;
      let total = 0;
      for await (const chunk of source) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        total += buffer.length;
        if (total > maxBytes) throw new TooManyBytes();
        writeAll(fd, buffer, position);
        if (position !== null) position += buffer.length;
      }
      if (mode === 'truncate') return total > 0 ? offset + total : 0;
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes [start, start + length) as a stream (length > 0). */
  readStream(path: string, start: number, length: number): Readable {
    if (length <= 0) return Readable.from([]);
    return createReadStream(path, { start, end: start + length - 1, highWaterMark: 1 << 20 });
  }

  /** Bytes [start, start + length) at once; the callers bound `length` by the read buffer size. */
  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const fd = openSync(path, 'r');
    try {
      return readAll(fd, start, length);
    } finally {
      closeSync(fd);
    }
  }

  async size(path: string): Promise<number> {
    return (await stat(path)).size;
  }

  async truncate(path: string, length: number): Promise<void> {
    await truncate(path, length);
  }

  /** Copies bytes into another replica's file (replication, copy), making its directories. */
  async copy(from: string, to: string): Promise<void> {
    const dir = dirname(to);
    if (!this.knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    await copyFile(from, to);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  /** iRODS's default scheme: `sha2:` + base64 of the SHA-256 digest. */
  async checksum(path: string): Promise<string> {
    const hash = createHash('sha256');
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= SYNC_READ_LIMIT) return `sha2:${hash.update(readAll(fd, 0, size)).digest('base64')}`;
    } finally {
      closeSync(fd);
    }
    // A big file: read off the loop, through one reused buffer (no garbage per MiB).
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(SYNC_READ_LIMIT);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    return `sha2:${hash.digest('base64')}`;
  }
}

/** More bytes arrived than the caller allowed. */
export class TooManyBytes extends Error {
  constructor() {
    super('too many bytes');
    this.name = 'TooManyBytes';
  }
}

function writeAll(fd: number, data: Buffer, position: number | null): void {
  let written = 0;
  while (written < data.length) {
    written += writeSync(fd, data, written, data.length - written, position === null ? null : position + written);
  }
}

/** Up to `length` bytes from `start` (fewer at the end of the file). */
function readAll(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
