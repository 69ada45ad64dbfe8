import os from 'node:os';

/**
 * Printing for the benches. Every figure a bench stands by is printed as one `ratio …` line,
 * which `bench/run-all.ts` collects into its summary table and the smoke test looks for:
 *
 *   ratio <what>: <value> (target <target>: met|missed)
 */

/** One line describing where and when the figures were taken: they mean nothing without it. */
export function machineLine(): string {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${new Date().toISOString()}  node ${process.version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${load}`;
}

/** The load average now, for lines that say under what load a figure was taken. */
export function loadLine(): string {
  return `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export interface Target {
  /** Human form, e.g. "≥ 0.60". */
  readonly text: string;
  readonly met: (value: number) => boolean;
}

export const atLeast = (n: number, text = `>= ${n}`): Target => ({ text, met: (v) => v >= n });
export const below = (n: number, text = `< ${n}`): Target => ({ text, met: (v) => v < n });

/** Prints a ratio (or a figure with a target) in the collectable form. */
export function ratioLine(what: string, value: number, shown: string, target?: Target): string {
  const line = `ratio ${what}: ${shown}${target ? ` (target ${target.text}: ${target.met(value) ? 'met' : 'missed'})` : ''}`;
  out(line);
  return line;
}

/** Columns padded to their widest cell: the first `leftColumns` left-aligned, the rest right-aligned (numbers). */
export function table(rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const MiB = 1024 * 1024;

export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const pct = (ratio: number): string => `${fixed(ratio * 100, 0)}%`;
export const mib = (bytes: number): string => `${fixed(bytes / MiB)} MiB`;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
