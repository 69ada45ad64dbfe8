import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The benches are not run by `make test` (their figures need a quiet machine and minutes); this
 * only proves that each one still runs end to end in its --quick mode and prints the ratio lines
 * its figures are read from. No figure is asserted: times on a shared machine mean nothing here.
 */
async function runQuick(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, '--quick', ...args], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 170_000,
  });
  return stdout;
}

describe('benchmarks in --quick mode', () => {
  it('intake bench loads the agent and both baselines and prints its ratio lines', { timeout: 180_000 }, async () => {
    const stdout = await runQuick('bench/intake/run.ts');
    expect(stdout).toMatch(/^ratio intake agent\/minimal-durable events\/s: \d+\.\d+ \(target >= 0\.60: (met|missed)\)$/m);
    expect(stdout).toMatch(/^ratio intake agent\/hello-world events\/s: \d+\.\d+$/m);
    expect(stdout).toMatch(/^ratio intake agent p99 at half peak \(\d+\/s\): [\d.]+ ms \(target < 50 ms: (met|missed)\)$/m);
    expect(stdout).not.toMatch(/WARNING/);
  });

  it('expand bench expands tar and zip archives through the agent, in rounds for the big phase, and prints its ratio lines', { timeout: 180_000 }, async () => {
    const stdout = await runQuick('bench/expand/run.ts', '--rounds', '2');
    for (const format of ['tar', 'zip']) {
      // Two rounds: three uploads bracket two expansions, each round adds a verified upload, and the ratio shows each round.
      expect(stdout).toMatch(new RegExp(`^  ${format} big .*upload [\\d.]+ s / [\\d.]+ s / [\\d.]+ s, verified upload [\\d.]+ s / [\\d.]+ s, expand step [\\d.]+ s / [\\d.]+ s;`, 'm'));
      expect(stdout).toMatch(new RegExp(`^    round 2: job succeeded;`, 'm'));
      expect(stdout).toMatch(new RegExp(`^ratio expand ${format} big-file MiB/s / raw transport MiB/s: [\\d.]+ \\(\\d+%; round by round [\\d.]+ / [\\d.]+\\) `, 'm'));
      expect(stdout).toMatch(new RegExp(`^ratio expand ${format} big-file MiB/s / verified upload MiB/s: [\\d.]+$`, 'm'));
      expect(stdout).toMatch(new RegExp(`^ratio expand ${format} small files/s: \\d+ `, 'm'));
      expect(stdout).toMatch(new RegExp(`^ratio expand ${format} big peak RSS: \\d+ MiB `, 'm'));
    }
    expect(stdout).not.toMatch(/WARNING/);
  });
});
