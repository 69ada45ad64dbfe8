import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, closedPort, runBuiltCli, runBuiltCliIntoClosedPipe } from '../support/cli.js';

/** What a newcomer meets first with the built CLI: its version, its messages, a pipe into head. */

beforeAll(() => assertBuilt());

describe('irods-omero-agent, first contact', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
    expect(await runBuiltCli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('is on the PATH after `make install` (PREFIX=… for a place without root), and gone after `make uninstall`', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'ioa-prefix-'));
    try {
      // -o build: the build is the one `make test` just made; this checks what install adds.
      execFileSync('make', ['-s', '-o', 'build', 'install', `PREFIX=${prefix}`], { cwd: ROOT, encoding: 'utf8' });
      const version = execFileSync('irods-omero-agent', ['--version'], { cwd: tmpdir(), env: { PATH: `${prefix}/bin:${process.env.PATH ?? ''}` }, encoding: 'utf8' });
      expect(version).toMatch(/^\d+\.\d+\.\d+\n$/);
      execFileSync('make', ['-s', 'uninstall', `PREFIX=${prefix}`], { cwd: ROOT });
      expect(existsSync(join(prefix, 'bin', 'irods-omero-agent'))).toBe(false);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it('ends quietly when the reader of its output goes away (… | head)', async () => {
    const run = await runBuiltCliIntoClosedPipe(['--help']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('config check says what a bad number must be, and warns about a misspelled AGENT_* variable', async () => {
    const bad = await runBuiltCli(['config', 'check'], { AGENT_PORT: 'abc' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("configuration error: AGENT_PORT: must be an integer 0-65535, got 'abc'");
    const typo = await runBuiltCli(['config', 'check'], { AGENT_WACH: '/tempZone/home' });
    expect(typo.code).toBe(0);
    expect(typo.stderr).toContain('warning: AGENT_WACH in the environment is not a setting of the agent: did you mean AGENT_WATCH?');
  });

  it('names an unreachable PostgreSQL and its variable, with the password masked (exit 3)', async () => {
    const port = await closedPort();
    const run = await runBuiltCli(['migrate'], { AGENT_DATABASE_URL: `postgres://agent:pg-secret@127.0.0.1:${port}/agent` });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`unavailable: PostgreSQL at postgres://agent:********@127.0.0.1:${port}/agent (AGENT_DATABASE_URL) refused the connection (ECONNREFUSED)`);
    expect(run.stderr).not.toContain('pg-secret');
  });
});
