import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessStartError, runProcess } from '../../../src/omero/index.js';
import { waitFor } from '../../support/wait.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-process-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runProcess', () => {
  it('passes arguments as they are (no shell) and only the environment it is given', async () => {
    const lines: string[] = [];
    const out = await runProcess({
      executable: '/bin/sh',
      args: ['-c', 'printf "%s\\n" "$1" "${SECRET:-unset}" "$MINE"', 'sh', '$(touch /tmp/never) ; *'],
      env: { MINE: 'given' },
      timeoutMs: 10_000,
      onStdoutLine: (l) => lines.push(l),
    });
    expect(out.exitCode).toBe(0);
    expect(lines).toEqual(['$(touch /tmp/never) ; *', 'unset', 'given']);
  });

  it('stops the whole process group on timeout, so a child the program started stops too', async () => {
    const pidFile = join(dir, 'child.pid');
    const out = await runProcess({
      executable: '/bin/sh',
      args: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`],
      env: {},
      timeoutMs: 500,
      killGraceMs: 200,
    });
    expect(out.timedOut).toBe(true);
    const child = Number(await readFile(pidFile, 'utf8'));
    await waitFor('the child to be gone', () => !alive(child), { timeoutMs: 5_000 });
  });

  it('stops when its signal aborts, and keeps only the tail of a long output', async () => {
    const controller = new AbortController();
    const done = join(dir, 'output-written');
    const running = runProcess({
      executable: '/bin/sh',
      args: ['-c', `i=0; while [ $i -lt 2000 ]; do echo "line $i" 1>&2; i=$((i+1)); done; touch ${done}; sleep 30`],
      env: {},
      timeoutMs: 60_000,
      signal: controller.signal,
      tailChars: 100,
    });
    // Aborted once the program has written all its output, whenever that is on a loaded machine.
    await waitFor('the program to write its output', () => existsSync(done), { timeoutMs: 20_000 });
    controller.abort();
    const out = await running;
    expect(out.aborted).toBe(true);
    expect(out.stderrTail.length).toBeLessThanOrEqual(100);
    expect(out.stderrTail).toContain('line 1999');
  });

  it('reports a program that does not exist as ProcessStartError ENOENT', async () => {
    const started = runProcess({ executable: join(dir, 'nope'), args: [], env: {}, timeoutMs: 1000 });
    await expect(started).rejects.toBeInstanceOf(ProcessStartError);
    await expect(started).rejects.toMatchObject({ name: 'ProcessStartError', errno: 'ENOENT' });
  });
});
