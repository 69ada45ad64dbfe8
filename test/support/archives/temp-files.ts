import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One scratch folder per test worker, made on first use. Tests call removeTempArchives() in
// afterAll; the OS temp cleaner gets anything left by a crashed run.
let scratch: Promise<string> | undefined;
let counter = 0;

/** A fresh path in the scratch folder, ending in `suffix` (e.g. `.zip`). */
export async function tempArchivePath(suffix: string): Promise<string> {
  scratch ??= mkdtemp(join(tmpdir(), 'ioa-archives-'));
  const dir = await scratch;
  counter += 1;
  return join(dir, `archive-${process.pid}-${counter}${suffix}`);
}

/** Writes `bytes` to `path` (or a fresh scratch path ending in `suffix`) and returns the path. */
export async function writeArchive(bytes: Buffer, suffix: string, path?: string): Promise<string> {
  const target = path ?? (await tempArchivePath(suffix));
  await writeFile(target, bytes);
  return target;
}

/** Removes the scratch folder of this worker. */
export async function removeTempArchives(): Promise<void> {
  if (!scratch) return;
  const dir = await scratch;
  scratch = undefined;
  await rm(dir, { recursive: true, force: true });
}

/** A fresh empty folder in the scratch area (for extracting with system tools). */
export async function tempDir(): Promise<string> {
  scratch ??= mkdtemp(join(tmpdir(), 'ioa-archives-'));
  return mkdtemp(join(await scratch, 'dir-'));
}
