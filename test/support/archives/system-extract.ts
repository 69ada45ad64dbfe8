import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { collectionsToCreate, type ArchiveReader } from '../../../src/archive/index.js';
import { tempDir } from './temp-files.js';

const execFileAsync = promisify(execFile);

/**
 * Runs a system tool (unzip, zip, tar). A missing tool fails loudly with the fix, never skips:
 * these comparisons are the proof that the reader agrees with the reference implementations.
 */
export async function runSystemTool(tool: string, args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
  try {
    await execFileAsync(tool, args, options);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') {
      throw new Error(`the system tool \`${tool}\` is not installed: apt-get install -y unzip zip tar`);
    }
    throw err;
  }
}

/** What an archive expands to: every file with its size and SHA-256, and every folder. */
export interface TreeSnapshot {
  readonly files: Record<string, { readonly size: number; readonly sha256: string }>;
  readonly directories: readonly string[];
}

/** Extracts with the system's `unzip` or `tar` into a scratch folder and describes the result. */
export async function extractWithSystemTool(path: string, format: 'zip' | 'tar' | 'tar.gz'): Promise<TreeSnapshot> {
  const dir = await tempDir();
  if (format === 'zip') await runSystemTool('unzip', ['-q', '-o', path, '-d', dir]);
  else await runSystemTool('tar', [format === 'tar' ? '-xf' : '-xzf', path, '-C', dir]);
  const files: Record<string, { size: number; sha256: string }> = {};
  const directories: string[] = [];
  async function walk(at: string): Promise<void> {
    for (const dirent of await readdir(at, { withFileTypes: true })) {
      const full = join(at, dirent.name);
      const rel = relative(dir, full).split('\\').join('/');
      if (dirent.isDirectory()) {
        directories.push(rel);
        await walk(full);
      } else {
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
        files[rel] = { size: (await stat(full)).size, sha256: hash.digest('hex') };
      }
    }
  }
  await walk(dir);
  return { files, directories: directories.sort() };
}

/** Reads every entry through the archive module and describes the result the same way. */
export async function snapshotThroughReader(reader: ArchiveReader): Promise<TreeSnapshot> {
  const files: Record<string, { size: number; sha256: string }> = {};
  const entries: { path: string; kind: 'file' | 'directory' }[] = [];
  for await (const entry of reader) {
    entries.push({ path: entry.path, kind: entry.kind });
    if (entry.kind === 'directory') continue;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await entry.open()) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    files[entry.path] = { size, sha256: hash.digest('hex') };
  }
  return { files, directories: collectionsToCreate(entries).sort() };
}
