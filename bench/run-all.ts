/**
 * Runs every bench, one after the other (together they would disturb each other on a 2-core
 * machine), each in its own process, and prints a summary of their `ratio` lines.
 *
 *   npx tsx bench/run-all.ts [--quick]        (or `make bench`: node dist/bench/run-all.js)
 *
 * A bench that is not there (bench/metadata is another engineer's) is skipped with a note.
 * Exits non-zero when a bench fails or prints no ratio line.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasFlag } from './support/args.js';
import { machineLine, out, table } from './support/report.js';

interface Bench {
  readonly name: string;
  readonly module: string;
  /** Arguments for --quick when the bench has no --quick of its own. */
  readonly quickFallback?: readonly string[];
}

const BENCHES: readonly Bench[] = [
  { name: 'intake', module: 'intake/run' },
  { name: 'expand', module: 'expand/run' },
  { name: 'metadata', module: 'metadata/run', quickFallback: ['--images', '500', '--rois', '2000', '--annotations', '1000', '--reps', '1'] },
];

interface Ratio {
  readonly bench: string;
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly verdict: string;
}

/** `ratio <what>: <value> (target <target>: met|missed)`; the target part is optional. */
function parseRatioLine(bench: string, line: string): Ratio | undefined {
  const m = /^ratio (.+?): (.+?)(?: \(target (.+): (met|missed)\))?$/.exec(line.trim());
  if (!m) return undefined;
  return { bench, what: m[1] ?? '', value: m[2] ?? '', target: m[3] ?? '', verdict: m[4] ?? '' };
}

function runBench(file: string, args: readonly string[]): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let partial = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (partial) lines.push(partial);
      resolve({ code: code ?? 1, lines });
    });
  });
}

async function main(): Promise<void> {
  const quick = hasFlag('quick');
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const ratios: Ratio[] = [];
  const notes: string[] = [];
  let failed = false;
  out(`run-all${quick ? ' (quick)' : ''}: ${machineLine()}`);
  for (const bench of BENCHES) {
    const file = fileURLToPath(new URL(`./${bench.module}${ext}`, import.meta.url));
    if (!existsSync(file)) {
      notes.push(`${bench.name}: not there (${bench.module}${ext}), skipped`);
      continue;
    }
    const ownQuick = readFileSync(file, 'utf8').includes("'quick'");
    const args = quick ? (ownQuick || !bench.quickFallback ? ['--quick'] : [...bench.quickFallback]) : [];
    out('');
    out(`=== ${bench.name} ${args.join(' ')}`);
    const started = performance.now();
    const { code, lines } = await runBench(file, args);
    const found = lines.map((l) => parseRatioLine(bench.name, l)).filter((r): r is Ratio => r !== undefined);
    ratios.push(...found);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    if (code !== 0 || found.length === 0) {
      failed = true;
      notes.push(`${bench.name}: exit code ${code}, ${found.length} ratio line(s), ${seconds} s`);
    } else {
      notes.push(`${bench.name}: ${found.length} ratio line(s), ${seconds} s`);
    }
  }
  out('');
  out(`=== summary (${machineLine()})`);
  out(table([['bench', 'figure', 'value', 'target', ''], ...ratios.map((r) => [r.bench, r.what, r.value, r.target, r.verdict])], 5));
  for (const note of notes) out(`  ${note}`);
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
