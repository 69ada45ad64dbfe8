import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, landedEvent, randomName, startTestAgent, type TestAgent } from '../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../support/irods.js';
import { uploadFile, waitForJob } from '../support/pipeline.js';
import { TEST_REDIS_URL } from '../support/redis.js';

/** The built CLI as an operator runs it, against a running agent (HTTP API, workers, iRODS stand-in). */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}dist/src/cli/main.js`;
const FIXTURES = new URL('../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with only the environment given (plus PATH): what the operator's shell would hold.
 * A variable given as '' is left unset.
 */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const merged = { PATH: process.env.PATH ?? '', AGENT_URL: agent.url, AGENT_ADMIN_TOKEN: TEST_OPERATOR_TOKEN, ...env };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== '')), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** An archive whose target collection already exists: its job fails with target_exists. */
async function conflictingArchive(): Promise<{ lpath: string; target: string; jobId: string }> {
  const name = randomName('e2e');
  const target = `/tempZone/home/alice/${name}`;
  await alice.client.collections.create(target);
  const lpath = `${target}.zip`;
  const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  return { lpath, target, jobId: res.json.job_id as string };
}

let failed: { lpath: string; target: string; jobId: string };

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (make test does)`);
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'cli_jobs', irods: irods.client, workers: true });
  failed = await conflictingArchive();
  await waitForJob(agent.db.pool, failed.jobId, ['failed']);
});
afterAll(async () => {
  agent?.db.pool.on('error', () => undefined);
  await agent?.close();
  await irods?.close();
});

describe('irods-omero-agent jobs', () => {
  it('list --json prints the jobs for scripts; list prints a table; exit 0', async () => {
    const json = await cli(['jobs', 'list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { id: string; state: string; error: { code: string } | null }[] };
    expect(page.items.find((j) => j.id === failed.jobId)).toMatchObject({ state: 'failed', error: { code: 'target_exists' } });

    const table = await cli(['jobs', 'list', '--state', 'failed', '--prefix', failed.lpath]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+STATE\s+STEP\s+RUN\s+UPDATED\s+ERROR\s+FLAGS\s+ARCHIVE$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(failed.jobId);
    expect(lines[1]).toContain('target_exists');
  });

  it('show prints the job with its error and steps; --json the whole record; an unknown job exits 4', async () => {
    const human = await cli(['jobs', 'show', failed.jobId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^state\s+failed at inspect/m);
    expect(human.stdout).toMatch(/^error\s+target_exists: /m);
    expect(human.stdout).toMatch(/^\s+1\s+inspect\s+failed/m);
    const json = await cli(['jobs', 'show', failed.jobId, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: failed.jobId, archive: { path: failed.lpath }, events: [{ verdict: 'accepted' }] });
    // Each step names the process that ran it (the agent of this test runs in this process).
    expect(human.stdout).toMatch(/^\s+RUN\s+STEP\s+STATE\s+ATTEMPTS\s+STARTED\s+TOOK\s+WORKER\s+ERROR$/m);
    expect(human.stdout).toContain(`${hostname()}:${process.pid}`);
    const missing = await cli(['jobs', 'show', randomUUID()]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no job');
    const missingJson = await cli(['jobs', 'show', randomUUID(), '--json']);
    expect(missingJson.code).toBe(4);
    expect(JSON.parse(missingJson.stdout)).toMatchObject({ error: 'not_found', status: 404 });
  });

  it('takes the first 8 or more characters of a job id; fewer is bad usage (exit 2); a prefix of no job exits 4', async () => {
    const short = await cli(['jobs', 'show', failed.jobId.slice(0, 8), '--json']);
    expect(short.code, short.stderr).toBe(0);
    expect(JSON.parse(short.stdout)).toMatchObject({ id: failed.jobId });
    expect((await cli(['jobs', 'show', failed.jobId.slice(0, 7)])).code).toBe(2);
    const none = await cli(['jobs', 'show', failed.jobId.startsWith('0') ? 'ffffffff' : '00000000']);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no job id starts with');
  });

  it('refuses a reader replaying (exit 5), a wrong token (exit 5), a cancel of a finished job (exit 1), bad usage (exit 2)', async () => {
    expect((await cli(['jobs', 'replay', failed.jobId], { AGENT_ADMIN_TOKEN: TEST_READER_TOKEN })).code).toBe(5);
    expect((await cli(['jobs', 'list', '--token', 'not-the-right-token-at-all'])).code).toBe(5);
    const cancel = await cli(['jobs', 'cancel', failed.jobId]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('already failed');
    expect((await cli(['jobs', 'replay', failed.jobId, '--from', 'nowhere'])).code).toBe(2);
    const noToken = await cli(['jobs', 'list'], { AGENT_ADMIN_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no admin token');
  });

  it('exits 3 when the agent does not answer', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const res = await cli(['jobs', 'list', '--url', `http://127.0.0.1:${closed}`]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`the agent at http://127.0.0.1:${closed} (AGENT_URL) does not answer (ECONNREFUSED)`);
  });

  it('replay --failed --dry-run shows what it would replay and changes nothing; replay <id> then brings the job through', async () => {
    const dry = await cli(['jobs', 'replay', '--failed', '--since', '1h', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout) as { dry_run: boolean; replayed: { job_id: string }[] };
    expect(report.dry_run).toBe(true);
    expect(report.replayed.map((r) => r.job_id)).toContain(failed.jobId);
    const still = await agent.db.pool.query('SELECT state, run FROM jobs WHERE id = $1', [failed.jobId]);
    expect(still.rows[0]).toEqual({ state: 'failed', run: 1 });

    await alice.client.collections.remove(failed.target, { recurse: true, noTrash: true });
    const replay = await cli(['jobs', 'replay', failed.jobId]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`replayed ${failed.jobId} from inspect (was failed at inspect: target_exists)`);
    const watch = await cli(['jobs', 'watch', failed.jobId, '--interval', '0.2', '--json']);
    expect(watch.code, watch.stderr).toBe(0);
    const frames = watch.stdout.trim().split('\n').map((l) => JSON.parse(l) as { state: string; final: boolean });
    expect(frames[frames.length - 1]).toMatchObject({ state: 'succeeded', final: true });
  });

  it('watch exits with the outcome of the job: 1 when it fails', async () => {
    const other = await conflictingArchive();
    const watch = await cli(['jobs', 'watch', other.jobId, '--interval', '0.2']);
    expect(watch.code).toBe(1);
    expect(watch.stdout).toContain(`job ${other.jobId} failed at inspect: target_exists`);
  });
});

describe('irods-omero-agent sweep', () => {
  it('reports an archive whose event never came (--dry-run --json), then gives it a job', async () => {
    const lpath = `/tempZone/home/alice/${randomName('swept')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const env = {
      AGENT_DATABASE_URL: agent.db.url,
      AGENT_REDIS_URL: TEST_REDIS_URL,
      AGENT_QUEUE_PREFIX: agent.config.queuePrefix,
      AGENT_WATCH: '/tempZone/home',
      AGENT_DEBOUNCE_SECONDS: '0',
      AGENT_SWEEP_GRACE_SECONDS: '0',
      IRODS_HTTP_API_URL: irods.standin.baseUrl,
      IRODS_PASSWORD: 'rods',
    };
    const dry = await cli(['sweep', '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { missed: { path: string }[] }).missed.map((m) => m.path)).toEqual([lpath]);
    const real = await cli(['sweep'], env);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/missed: 1 archive/);
    const { rows } = await agent.db.pool.query('SELECT j.id FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = $1', [lpath]);
    await waitForJob(agent.db.pool, (rows[0] as { id: string }).id, ['succeeded']);
  });
});
