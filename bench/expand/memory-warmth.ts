import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SHM, tmpfsFreeBytes } from './vault-place.js';

/**
 * The development machines are VMs whose balloon device reports free pages to the host: memory
 * the guest freed some seconds ago goes back, and the next touch of each page faults into the
 * hypervisor. Measured with dd into tmpfs: 2.7 s of system CPU per GiB on such cold pages,
 * 0.4–0.7 s on pages freed a moment ago (they stay warm for 10–30 s). Every phase of the bench
 * writes its bytes into the stand-in's vault, and which phase happened to find warm pages (the
 * first upload often did, right after the local extraction freed its page cache) moved the
 * ratios more than the code under test. So before each measured operation the bench writes and
 * frees that many bytes of tmpfs, and every phase starts on memory equally warm.
 */
export interface Warmth {
  /** Where to warm up (a tmpfs folder), or undefined when the bench runs cold. */
  readonly dir: string | undefined;
  readonly why: string;
}

/** What a warm-up writes beyond the operation's own bytes (the processes' memory besides). */
export const WARM_MARGIN_BYTES = 256 * 2 ** 20;

/** `skipBecause` names the flag that asks for no warm-up (--cold, or --quick where figures do not count). */
export async function chooseWarmth(skipBecause: string | undefined, neededBytes: number): Promise<Warmth> {
  if (skipBecause) return { dir: undefined, why: `cold (${skipBecause}): phases find memory as the previous one left it` };
  const free = await tmpfsFreeBytes(SHM);
  if (free === undefined) return { dir: undefined, why: `cold: no tmpfs at ${SHM} to warm up with` };
  if (free < neededBytes) return { dir: undefined, why: `cold: ${SHM} has ${Math.floor(free / 2 ** 20)} MiB free, warming up needs ${Math.ceil(neededBytes / 2 ** 20)} MiB` };
  return {
    dir: SHM,
    why: `warmed before each measured operation (a tmpfs file of its archive's size + ${WARM_MARGIN_BYTES / 2 ** 20} MiB, written and freed; --cold to skip)`,
  };
}

/** Writes `bytes` into a file under `dir` and removes it; returns the CPU seconds it took. */
export function warmMemory(dir: string, bytes: number): { cpuSeconds: number } {
  const block = Buffer.alloc(1 << 20, 0x5a);
  const path = join(dir, `ioa-bench-warm-${process.pid}`);
  const before = process.cpuUsage();
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) writeSync(fd, block);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  const used = process.cpuUsage(before);
  return { cpuSeconds: (used.user + used.system) / 1e6 };
}
