import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('../../../src/logging/logger.ts', import.meta.url));

/** Runs `body` in a child process with `log` = createProcessLogger('info'); yields its stdout lines as they come. */
function child(body: string) {
  const script = `const { createProcessLogger } = await import(${JSON.stringify(LOGGER)}); const log = createProcessLogger('info'); ${body}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: { msg: string; at: number }[] = [];
  let rest = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) lines.push({ msg: (JSON.parse(line) as { msg: string }).msg, at: Date.now() });
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
  return { lines, exited, kill: () => proc.kill('SIGKILL') };
}

describe('createProcessLogger', () => {
  it('writes every buffered line when the process exits', async () => {
    const c = child(`for (let i = 0; i < 50; i++) log.info('line ' + i);`);
    expect(await c.exited).toBe(0);
    expect(c.lines.map((l) => l.msg)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
  });

  it("shows a quiet agent's line while it runs, without waiting for a batch to fill or for the exit", async () => {
    // The child stays up far longer than the test waits: a line seen now came from the timed flush.
    const c = child(`log.info('ready'); setTimeout(() => undefined, 60_000);`);
    let exited = false;
    void c.exited.then(() => (exited = true));
    const deadline = Date.now() + 20_000;
    while (c.lines.length === 0 && !exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(exited).toBe(false);
    expect(c.lines.map((l) => l.msg)).toEqual(['ready']);
    c.kill();
    await c.exited;
  }, 30_000);
});
