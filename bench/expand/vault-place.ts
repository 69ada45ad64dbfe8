import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the stand-in keeps its vault (the bytes of its data objects). The stand-in plays an iRODS
 * server, whose storage sits on the resource server's disks, not on the agent's host; here both
 * share 2 cores, so whatever the kernel spends creating the vault's files is taken from the
 * agent. On the development machines' ext4 that is 60–340 µs of CPU per file (tar -xf of 10k
 * 4 KiB files: 2.4 s in the kernel), more than the rest of the stand-in's work per object, against
 * 15–30 µs on tmpfs. So the vault goes to tmpfs when there is one with room, and the bench
 * prints what a file costs on both, so that a reader sees the difference it makes.
 */
export type VaultKind = 'tmpfs' | 'disk';

export interface VaultPlace {
  readonly kind: VaultKind;
  /** An empty folder of the bench's own, removed by the caller. */
  readonly dir: string;
  /** Why this place, in a few words (printed). */
  readonly why: string;
}

const TMPFS_MAGIC = 0x01021994;
export const SHM = '/dev/shm';

/** Free bytes on a tmpfs at `path`, or undefined when it is not one (or not there). */
export async function tmpfsFreeBytes(path: string): Promise<number | undefined> {
  try {
    const fs = await statfs(path);
    return fs.type === TMPFS_MAGIC ? fs.bavail * fs.bsize : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `wanted` is --vault (tmpfs, disk, or unset: tmpfs when possible); `neededBytes` what the vault
 * will hold at its fullest. A tmpfs without that much room falls back to the disk, saying so.
 */
export async function chooseVault(wanted: string | undefined, scratch: string, neededBytes: number): Promise<VaultPlace> {
  if (wanted !== undefined && wanted !== 'tmpfs' && wanted !== 'disk') throw new Error(`--vault wants tmpfs or disk, got "${wanted}"`);
  const onDisk = async (why: string): Promise<VaultPlace> => {
    const dir = join(scratch, 'vault');
    await mkdir(dir);
    return { kind: 'disk', dir, why };
  };
  if (wanted === 'disk') return onDisk('--vault disk');
  const free = await tmpfsFreeBytes(SHM);
  if (free === undefined) return onDisk(`no tmpfs at ${SHM}`);
  if (free < neededBytes) return onDisk(`${SHM} has ${Math.floor(free / 2 ** 20)} MiB free, the vault needs ${Math.ceil(neededBytes / 2 ** 20)} MiB`);
  return { kind: 'tmpfs', dir: await mkdtemp(join(SHM, 'ioa-bench-vault-')), why: wanted === 'tmpfs' ? '--vault tmpfs' : 'default' };
}

/**
 * CPU µs (user + system) this process spends creating, writing (4 KiB) and closing one file in
 * `parent`, synchronously as the stand-in's vault does.
 */
export async function fileCreateMicros(parent: string, files = 500): Promise<number> {
  const dir = await mkdtemp(join(parent, 'ioa-bench-create-'));
  try {
    const bytes = Buffer.alloc(4096, 1);
    const before = process.cpuUsage();
    for (let i = 0; i < files; i++) {
      const fd = openSync(join(dir, String(i)), 'w');
      writeSync(fd, bytes);
      closeSync(fd);
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function removeVault(place: VaultPlace): Promise<void> {
  await rm(place.dir, { recursive: true, force: true, maxRetries: 3 });
}
