import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../../src/store/database.js';
import { TEST_SECRET, landedEvent } from '../support/agent.js';
import { postSignedEvent, waitForJobThroughApi } from '../support/agent-process.js';
import { TEST_PG_BASE } from '../support/database.js';
import { startIrodsForTest, type IrodsForTest } from '../support/irods.js';
import { uploadFile } from '../support/pipeline.js';
import { TEST_REDIS_URL, createTestQueuePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/** The built CLI as a process: configuration errors, migrations, and `start` from first event to SIGTERM. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}dist/src/cli/main.js`;
const FIXTURES = new URL('../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
const TOKEN = `operator:${randomBytes(12).toString('hex')}`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let irods: IrodsForTest;
const databaseUrl = `${TEST_PG_BASE}/ioa_e2e_start_${randomBytes(4).toString('hex')}`;
const queue = createTestQueuePrefix('e2e-start');

beforeAll(async () => {
  irods = await startIrodsForTest();
});
afterAll(async () => {
  await irods?.close();
  await dropDatabase(databaseUrl);
  await queue.cleanup();
});

describe('irods-omero-agent (built)', () => {
  it('config check: exit 2 naming the variable on an invalid value, 0 with secrets masked otherwise', async () => {
    const bad = await cli(['config', 'check'], { AGENT_PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('configuration error: AGENT_PORT');
    const good = await cli(['config', 'check', '--json'], { IRODS_PASSWORD: 'super-secret-pw', AGENT_WEBHOOK_SECRETS: TEST_SECRET });
    expect(good.code).toBe(0);
    expect(good.stdout).not.toContain('super-secret-pw');
    expect(good.stdout).not.toContain(TEST_SECRET);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, config: { irods: { password: '********' } } });
  });

  it('migrate: creates the database, then finds the schema up to date', async () => {
    const first = await cli(['migrate'], { AGENT_DATABASE_URL: databaseUrl, AGENT_LOG_LEVEL: 'silent' });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied: 0001_initial/);
    const again = await cli(['migrate'], { AGENT_DATABASE_URL: databaseUrl, AGENT_LOG_LEVEL: 'silent' });
    expect(again).toMatchObject({ code: 0, stdout: 'schema is up to date\n' });
  });

  it('start: serves events, expands the archive with its workers, and exits 0 on SIGTERM', async () => {
    const alice = await irods.makeUser('alice');
    await alice.client.collections.create('/tempZone/home/alice/in');
    const lpath = '/tempZone/home/alice/in/valid_single_image.zip';
    const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(process.execPath, [CLI, 'start'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        AGENT_DATABASE_URL: databaseUrl,
        AGENT_REDIS_URL: TEST_REDIS_URL,
        AGENT_QUEUE_PREFIX: queue.prefix,
        AGENT_PORT: String(port),
        AGENT_WEBHOOK_SECRETS: TEST_SECRET,
        AGENT_ADMIN_TOKENS: TOKEN,
        AGENT_WATCH: '/tempZone/home/alice/in',
        AGENT_DEBOUNCE_SECONDS: '0',
        AGENT_STABLE_SECONDS: '0',
        AGENT_SWEEP_INTERVAL_SECONDS: '0',
        AGENT_LOG_LEVEL: 'warn',
        IRODS_HTTP_API_URL: irods.standin.baseUrl,
        IRODS_PASSWORD: 'rods',
      },
    });
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the agent to be ready', async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 30_000 });
      const res = await postSignedEvent(url, landedEvent(lpath, { size }));
      expect(res.status).toBe(202);
      const job = await waitForJobThroughApi(url, res.headers.get('location') as string, TOKEN.slice('operator:'.length));
      expect(job).toBeDefined();
      expect(await irods.client.collections.list('/tempZone/home/alice/in/valid_single_image', { recurse: true })).toContain(
        '/tempZone/home/alice/in/valid_single_image/transfer.xml',
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
