import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, assertBuilt } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/**
 * `make demo` as a newcomer runs it from a bare clone: no omero-cli-transfer fixtures beside the
 * repository, so the demo makes its own archives; and with --keep, the stack stays up and the
 * printed URL and token work.
 */

const DEMO = `${ROOT}dist/scripts/demo.js`;
const BARE_CLONE = { DEMO_FIXTURES: '/nonexistent/omero-cli-transfer' };

function startDemo(args: string[]) {
  assertBuilt();
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, env: { ...process.env, ...BARE_CLONE }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output: () => out, exited };
}

describe('make demo', () => {
  it('runs from a bare clone on archives it makes, and shows collection AVUs, a flagged archive and jobs show', async () => {
    const demo = startDemo([]);
    const code = await demo.exited;
    const out = demo.output();
    expect(code, out).toBe(0);
    expect(out).toContain("archives made by the project's test-archive code");
    expect(out).toMatch(/demo_incomplete_project\.zip → succeeded \(flagged: incomplete\)/);
    expect(out).toContain('irods_omero_agent::flag = incomplete');
    expect(out).toMatch(/imeta ls -C \S+\/demo_project {3}\(the collection: \d+ AVUs\)/);
    expect(out).toContain('omero.project.name = demo cell lines');
    expect(out).toContain('omero.map.study = irods-omero-agent demo');
    expect(out).toContain('omero.channel.name = GFP');
    expect(out).toMatch(/irods-omero-agent jobs show [0-9a-f]{8}/);
    expect(out).toMatch(/^ {3}flags {5}incomplete$/m);
    expect(out).toContain('DEMO_ARGS=--keep');
  });

  it('--keep leaves the stack running, prints its URL and a token that work, and cleans up on Ctrl-C', async () => {
    const demo = startDemo(['--keep']);
    try {
      const [, url, token] = await waitFor(
        'the demo to say where the agent is',
        () => /export AGENT_URL=(\S+) AGENT_ADMIN_TOKEN=(\S+)/.exec(demo.output()) ?? undefined,
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      const jobs = await fetch(`${url ?? ''}/v1/jobs`, { headers: { authorization: `Bearer ${token ?? ''}` } });
      expect(jobs.status).toBe(200);
      expect(((await jobs.json()) as { items: unknown[] }).items).toHaveLength(3);
      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(0);
      expect(demo.output()).toContain('Cleaning up');
      await expect(fetch(`${url ?? ''}/healthz`)).rejects.toThrow();
    } finally {
      demo.child.kill('SIGKILL');
    }
  });
});
