import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/cli/doctor/checklist.js';
import { CANARY_USER } from '../../../src/cli/doctor/canary-check.js';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';
import { CANARY_COLLECTION } from '../../../src/intake/canary.js';
import { runScenario, runDelayServer, type Step } from '../../standins/irods-rule-engine/scenario.js';
import { startOmeroStandin } from '../../standins/omero-cli/index.js';
import { TEST_OPERATOR_TOKEN, TEST_SECRET, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { startPrivateRedis } from '../../support/private-redis.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { waitFor } from '../../support/wait.js';

/**
 * `irods-omero-agent doctor` against a deployment made of the real parts the tests have: the
 * iRODS HTTP API stand-in, PostgreSQL, Redis, a running agent, and the project's Python rule
 * under the rule-engine stand-in, delivering the canary's event as iRODS would.
 */

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
const WATCHED = '/tempZone/home/alice';

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AGENT_DATABASE_URL: agent.db.url,
    AGENT_REDIS_URL: TEST_REDIS_URL,
    AGENT_URL: agent.url,
    AGENT_WEBHOOK_SECRETS: TEST_SECRET,
    AGENT_ADMIN_TOKENS: `operator:${TEST_OPERATOR_TOKEN}`,
    AGENT_WATCH: WATCHED,
    IRODS_HTTP_API_URL: irods.standin.baseUrl,
    IRODS_USERNAME: 'rods',
    IRODS_PASSWORD: 'rods',
    ...extra,
  };
}

interface DoctorRun {
  readonly code: number;
  readonly ok: boolean;
  readonly checks: CheckResult[];
  byId(id: string): CheckResult | undefined;
}

async function doctor(args: string[], extra: Record<string, string> = {}): Promise<DoctorRun> {
  const out: string[] = [];
  const io: CliIo = { env: env(extra), out: (l) => out.push(l), err: (l) => out.push(l), exitCode: 0 };
  const code = await runCli(['doctor', '--json', ...args], io);
  const report = JSON.parse(out.join('\n')) as { ok: boolean; checks: CheckResult[] };
  return { code, ...report, byId: (id) => report.checks.find((c) => c.id === id) };
}

/** The iRODS side of a real zone: when the canary lands, the Python rule fires and its delayed POST runs. */
async function ruleDeliversTheCanary(): Promise<void> {
  const folder = `${WATCHED}/${CANARY_COLLECTION}`;
  const canary = await waitFor('the canary to land', async () => (await irods.client.collections.list(folder)).find((p) => p.endsWith('.zip')), { timeoutMs: 30_000, intervalMs: 100 });
  // Written through the HTTP API, as the doctor writes it: replica_open/replica_close, the user's own.
  const steps: Step[] = [
    { op: 'open', api: 'replica_open', path: canary, process: 'http-1', proxy: 'http_api', user: CANARY_USER, as: 'c' },
    { op: 'close', api: 'replica_close', fd: 'c', update_status: true, process: 'http-1', proxy: 'http_api', user: CANARY_USER },
    runDelayServer,
  ];
  await runScenario({
    // ignore_users as recommended: the agent's own account raises no events, a user's upload does.
    config: { agent_url: `${agent.url}/v1/events`, watch: [WATCHED], ignore_users: ['rods'], delay_seconds: 1, retry_interval_seconds: 5, retry_times: 3, timeout_seconds: 5 },
    secret: TEST_SECRET,
    steps,
  });
}

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'doctor', irods: irods.client });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

describe('irods-omero-agent doctor', () => {
  it('passes a healthy deployment, the canary included, and leaves nothing behind (exit 0)', async () => {
    const [run] = await Promise.all([doctor(['--canary-timeout', '30']), ruleDeliversTheCanary()]);
    expect(run.checks.filter((c) => c.status !== 'ok' && c.status !== 'skip')).toEqual([]);
    expect(run).toMatchObject({ code: 0, ok: true });
    for (const id of ['config', 'postgresql', 'redis', 'redis.eviction', 'irods.api', 'irods.limits', 'irods.login', 'irods.rodsadmin', `irods.watch:${WATCHED}`, 'agent', 'canary']) {
      expect(run.byId(id)?.status, id).toBe('ok');
    }
    expect(run.byId('canary')?.detail).toMatch(/the event arrived after [\d.]+ s \(ignored: the doctor's canary/);
    expect(run.byId('user_map')?.status).toBe('skip');
    expect(run.byId('omero')?.status).toBe('skip');
    // The canary, its collection, its account and the agent's grant on the watched collection are gone.
    expect((await irods.client.users.stat(CANARY_USER, { zone: 'tempZone' })).exists).toBe(false);
    expect(await irods.client.collections.list(WATCHED)).not.toContain(`${WATCHED}/${CANARY_COLLECTION}`);
    expect((await irods.client.collections.stat(WATCHED)).permissions.map((p) => p.name)).not.toContain('rods');
    // The agent recorded the event and made no job of it.
    const { rows } = await agent.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path LIKE $1', [`%${CANARY_COLLECTION}%`]);
    expect(rows[0]?.n).toBe(0);
  });

  it('fails the canary whose event never arrives, says where to look, and still cleans up (exit 1)', async () => {
    // As a crashed earlier run would have left it: the account is reused, then removed.
    await irods.client.users.createUser(CANARY_USER, { zone: 'tempZone', userType: 'rodsuser' });
    const run = await doctor(['--canary-timeout', '1']);
    expect(run).toMatchObject({ code: 1, ok: false });
    expect(run.byId('canary')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^no event for .*\.zip within 1 s$/) as unknown });
    expect(run.byId('canary')?.fix).toMatch(/rules\/README\.md.*iqstat.*agent_url/);
    expect((await irods.client.users.stat(CANARY_USER, { zone: 'tempZone' })).exists).toBe(false);
    expect(await irods.client.collections.list(WATCHED)).not.toContain(`${WATCHED}/${CANARY_COLLECTION}`);
  });

  it('names IRODS_USERNAME and IRODS_PASSWORD when iRODS refuses the login', async () => {
    const run = await doctor(['--no-canary'], { IRODS_PASSWORD: 'not-the-password' });
    expect(run.code).toBe(1);
    expect(run.byId('irods.api')?.status).toBe('ok');
    expect(run.byId('irods.login')).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused the login of rods') as unknown });
    expect(run.byId('irods.login')?.fix).toContain('IRODS_USERNAME and IRODS_PASSWORD');
    expect(run.byId('canary')).toMatchObject({ status: 'skip', detail: '--no-canary' });
  });

  it('fails a service account that is a rodsuser, saying so and how to fix it', async () => {
    const run = await doctor(['--no-canary'], { IRODS_USERNAME: alice.name, IRODS_PASSWORD: alice.password });
    expect(run.byId('irods.login')?.status).toBe('ok');
    expect(run.byId('irods.rodsadmin')).toMatchObject({ status: 'fail', detail: expect.stringContaining('alice is a rodsuser') as unknown });
    expect(run.byId('irods.rodsadmin')?.fix).toContain('iadmin moduser alice type rodsadmin');
    expect(run.code).toBe(1);
  });

  it('fails a watched collection that does not exist, naming AGENT_WATCH', async () => {
    const run = await doctor(['--no-canary'], { AGENT_WATCH: `${WATCHED} /tempZone/home/nobody-here` });
    expect(run.byId(`irods.watch:${WATCHED}`)?.status).toBe('ok');
    const missing = run.byId('irods.watch:/tempZone/home/nobody-here');
    expect(missing).toMatchObject({ status: 'fail', fix: 'create it (`imkdir -p /tempZone/home/nobody-here`) or fix AGENT_WATCH' });
  });

  it('checks AGENT_TARGET_RESOURCE: a resource iRODS has passes, an unknown one fails naming the variable', async () => {
    expect((await doctor(['--no-canary'])).byId('irods.target_resource')?.status).toBe('skip');
    expect((await doctor(['--no-canary'], { AGENT_TARGET_RESOURCE: 'demoResc' })).byId('irods.target_resource')).toMatchObject({ status: 'ok' });
    const missing = (await doctor(['--no-canary'], { AGENT_TARGET_RESOURCE: 'noSuchResc' })).byId('irods.target_resource');
    expect(missing).toMatchObject({ status: 'fail' });
    expect(missing?.fix).toContain('AGENT_TARGET_RESOURCE');
  });

  it('checks that every iRODS user and group the mapping file names exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioa-doctor-map-'));
    try {
      const map = join(dir, 'user-map.yaml');
      writeFileSync(map, 'users:\n  root: alice\n  jdoe: nobody-in-irods\ngroups:\n  system: no-such-group\n');
      const run = await doctor(['--no-canary'], { AGENT_USER_MAP: map });
      const check = run.byId('user_map');
      expect(check?.status).toBe('fail');
      expect(check?.detail).toContain('nobody-in-irods');
      expect(check?.detail).toContain('no-such-group');
      expect(check?.fix).toContain(map);
      writeFileSync(map, 'users:\n  root: alice\n');
      expect((await doctor(['--no-canary'], { AGENT_USER_MAP: map })).byId('user_map')?.status).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a Redis that may evict keys, naming maxmemory-policy and AGENT_REDIS_URL', async () => {
    const redis = await startPrivateRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const run = await doctor(['--no-canary'], { AGENT_REDIS_URL: redis.url });
      expect(run.byId('redis')?.status).toBe('ok');
      expect(run.byId('redis.eviction')).toMatchObject({ status: 'fail', detail: expect.stringContaining('maxmemory-policy is allkeys-lru') as unknown });
      expect(run.byId('redis.eviction')?.fix).toContain('maxmemory-policy noeviction');
      expect(run.code).toBe(1);
    } finally {
      await redis.stop();
    }
  });

  it('names an unreachable PostgreSQL and a database behind on its migrations', async () => {
    const down = await doctor(['--no-canary'], { AGENT_DATABASE_URL: 'postgres://agent:pw-secret@127.0.0.1:1/agent' });
    expect(down.byId('postgresql')).toMatchObject({ status: 'fail', detail: 'PostgreSQL at postgres://agent:********@127.0.0.1:1/agent (AGENT_DATABASE_URL) refused the connection (ECONNREFUSED)' });
    const removed = await agent.db.pool.query<{ id: number; name: string; run_on: Date }>(
      'DELETE FROM schema_migrations WHERE id = (SELECT max(id) FROM schema_migrations) RETURNING id, name, run_on',
    );
    const last = removed.rows[0];
    try {
      const behind = await doctor(['--no-canary']);
      expect(behind.byId('postgresql')).toMatchObject({ status: 'fail', detail: `1 migration(s) pending: ${last?.name ?? '?'}` });
      expect(behind.byId('postgresql')?.fix).toContain('irods-omero-agent migrate');
    } finally {
      // The row back as node-pg-migrate wrote it: the database stays whole for the other tests.
      await agent.db.pool.query('INSERT INTO schema_migrations (id, name, run_on) VALUES ($1, $2, $3)', [last?.id, last?.name, last?.run_on]);
    }
  });

  it('with OMERO enabled: finds the CLI and its transfer plugin and logs in; each failure names its setting', async () => {
    const omero = await startOmeroStandin();
    try {
      const good = await doctor(['--no-canary'], omero.agentEnv());
      expect([good.byId('omero.cli')?.status, good.byId('omero.transfer')?.status, good.byId('omero.login')?.status]).toEqual(['ok', 'ok', 'ok']);
      expect(good.code).toBe(0);

      const refused = await doctor(['--no-canary'], omero.agentEnv({ OMERO_PASSWORD: 'wrong-password' }));
      expect(refused.byId('omero.login')).toMatchObject({ status: 'fail', fix: expect.stringContaining('OMERO_USER and OMERO_PASSWORD') as unknown });

      await omero.control({ fail: 'no_transfer_plugin' });
      const noPlugin = await doctor(['--no-canary'], omero.agentEnv());
      expect(noPlugin.byId('omero.transfer')).toMatchObject({ status: 'fail', fix: expect.stringContaining('pip install omero-cli-transfer') as unknown });
      expect(noPlugin.byId('omero.login')).toBeUndefined();

      const missing = await doctor(['--no-canary'], omero.agentEnv({ OMERO_CLI: '/nonexistent/omero' }));
      expect(missing.byId('omero.cli')).toMatchObject({ status: 'fail', detail: 'cannot start /nonexistent/omero (ENOENT)' });
      expect(missing.byId('omero.cli')?.fix).toContain('OMERO_CLI');
    } finally {
      await omero.close();
    }
  });

  it('with a servers file: logs in to each server, and a failure names the server and its fields', async () => {
    const omero = await startOmeroStandin({ control: { servers: { 'partner.test:14064': { password: 'partner-pass' } } } });
    try {
      const servers = (partnerPassword: string) => [
        { name: 'facility', host: 'omero.test', user: 'agent', password: omero.password, default: true },
        { name: 'partner', host: 'partner.test', port: 14064, user: 'guest', password: partnerPassword },
      ];
      const good = await doctor(['--no-canary'], await omero.agentEnvWithServers(servers('partner-pass')));
      expect([good.byId('omero.login.facility')?.status, good.byId('omero.login.partner')?.status]).toEqual(['ok', 'ok']);
      expect(good.byId('omero.login.partner')?.title).toBe("OMERO login as guest at partner.test:14064 (server 'partner')");
      expect(good.code).toBe(0);
      expect((await omero.calls()).filter((c) => c.argv[0] === 'login').map((c) => c.server)).toEqual(['omero.test:4064', 'partner.test:14064']);

      const refused = await doctor(['--no-canary'], await omero.agentEnvWithServers(servers('wrong-password')));
      expect(refused.byId('omero.login.facility')?.status).toBe('ok');
      expect(refused.byId('omero.login.partner')).toMatchObject({ status: 'fail', fix: expect.stringContaining("user and password_file of server 'partner'") as unknown });
    } finally {
      await omero.close();
    }
  });

  it('prints a checklist a person reads: a line per check, the fix under each failure', async () => {
    const out: string[] = [];
    const io: CliIo = { env: env({ AGENT_WATCH: '/tempZone/home/nobody-here' }), out: (l) => out.push(l), err: (l) => out.push(l), exitCode: 0 };
    expect(await runCli(['doctor', '--no-canary'], io)).toBe(1);
    expect(out).toContain('[ ok ] iRODS login as rods: token issued');
    const failed = out.findIndex((l) => l.startsWith('[FAIL] watched collection /tempZone/home/nobody-here'));
    expect(out[failed + 1]).toBe('       fix: create it (`imkdir -p /tempZone/home/nobody-here`) or fix AGENT_WATCH');
    expect(out).toContain('[skip] the rule reports an upload and the delay server delivers it (canary): --no-canary');
    expect(out[out.length - 1]).toMatch(/^\d+ passed, 1 failed, \d+ warned, \d+ skipped$/);
  });

  it('stops at an invalid configuration, naming the variable', async () => {
    const run = await doctor([], { AGENT_PORT: 'abc' });
    expect(run).toMatchObject({ code: 1, ok: false });
    expect(run.checks).toEqual([
      { id: 'config', title: 'configuration valid', status: 'fail', detail: "AGENT_PORT: must be an integer 0-65535, got 'abc'", fix: 'fix AGENT_PORT (irods-omero-agent config check shows the whole configuration)' },
    ]);
  });
});
