import { readFile, writeFile } from 'node:fs/promises';

/**
 * The kernel's peak RSS of this process image (VmHWM). Not getrusage's maxRSS: Linux carries
 * that across exec, so a forked child would report its parent's peak.
 */
export async function residentHighWater(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resets VmHWM (Linux ≥ 4.0), so a process that measures several phases reports each one's own. */
export async function resetHighWater(): Promise<void> {
  await writeFile('/proc/self/clear_refs', '5').catch(() => undefined);
}
