import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../../src/store/database.js';
import { TEST_SECRET, landedEvent } from '../support/agent.js';
import { freePort, postSignedEvent, startAgentProcess, waitForJobThroughApi, type AgentProcess, type LogLine } from '../support/agent-process.js';
import { TEST_PG_BASE } from '../support/database.js';
import { startIrodsForTest, type IrodsForTest } from '../support/irods.js';
import { uploadFile } from '../support/pipeline.js';
import { startPrivateRedis } from '../support/private-redis.js';
import { TEST_REDIS_URL, createTestQueuePrefix } from '../support/redis.js';
import { startTcpRelay } from '../support/tcp-relay.js';
import { waitFor } from '../support/wait.js';

/**
 * Fault injection, issue 16 item 7: `start` before its services. It must answer /healthz at
 * once and /readyz 503 naming what is missing, say each connection attempt in one log line
 * (no stack traces), and work as soon as the service arrives.
 */

const FIXTURES = new URL('../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
const TOKEN = randomBytes(12).toString('hex');

let irods: IrodsForTest;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
const databases: string[] = [];
const queue = createTestQueuePrefix('e2e-absent');

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  await alice.client.collections.create('/tempZone/home/alice/in');
});
afterAll(async () => {
  await irods?.close();
  for (const url of databases) await dropDatabase(url).catch(() => undefined);
  await queue.cleanup();
});

function agentEnv(port: number, overrides: Record<string, string>): Record<string, string> {
  const databaseUrl = `${TEST_PG_BASE}/ioa_e2e_absent_${randomBytes(4).toString('hex')}`;
  databases.push(databaseUrl);
  return {
    AGENT_DATABASE_URL: databaseUrl,
    AGENT_REDIS_URL: TEST_REDIS_URL,
    AGENT_QUEUE_PREFIX: `${queue.prefix}-${randomBytes(2).toString('hex')}`,
    AGENT_PORT: String(port),
    AGENT_WEBHOOK_SECRETS: TEST_SECRET,
    AGENT_ADMIN_TOKENS: `operator:${TOKEN}`,
    AGENT_WATCH: '/tempZone/home/alice/in',
    AGENT_DEBOUNCE_SECONDS: '0',
    AGENT_STABLE_SECONDS: '0',
    AGENT_SWEEP_INTERVAL_SECONDS: '0',
    AGENT_LOG_LEVEL: 'info',
    IRODS_HTTP_API_URL: irods.standin.baseUrl,
    IRODS_PASSWORD: 'rods',
    ...overrides,
  };
}

async function readyz(url: string): Promise<{ status: number; body: { status: string; checks: Record<string, boolean>; problems?: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, boolean>; problems?: Record<string, string> } };
}

/** Uploads an archive, sends its event and waits for the job to succeed, through the agent's API. */
async function expandThrough(url: string, name: string): Promise<void> {
  const lpath = `/tempZone/home/alice/in/${name}.zip`;
  const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
  const res = await postSignedEvent(url, landedEvent(lpath, { size }));
  expect(res.status).toBe(202);
  await waitForJobThroughApi(url, res.headers.get('location') as string, TOKEN);
}

/** The log lines of one kind of connection attempt. */
function attemptLines(agent: AgentProcess, message: string): LogLine[] {
  return agent.lines.filter((l) => l.msg === message);
}

describe('start before its services', () => {
  it('without Redis: /healthz 200, /readyz 503 naming redis, one line per attempt; works once Redis starts', async () => {
    const redis = await startPrivateRedis();
    await redis.stop();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const agent = startAgentProcess('start', agentEnv(port, { AGENT_REDIS_URL: redis.url }));
    try {
      await waitFor('/healthz', async () => (await fetch(`${url}/healthz`)).status === 200, { timeoutMs: 30_000 });
      const down = await waitFor('readiness with the schema in place', async () => {
        const r = await readyz(url);
        return r.body.checks.postgresql ? r : undefined;
      });
      expect(down.status).toBe(503);
      expect(down.body.checks).toMatchObject({ postgresql: true, redis: false });
      expect(down.body.problems?.redis).toBeDefined();

      await waitFor('a few connection attempts', () => attemptLines(agent, 'Redis is not reachable; retrying').length >= 3, { timeoutMs: 20_000 });
      const attempts = attemptLines(agent, 'Redis is not reachable; retrying');
      expect(attempts.every((l) => String(l.url).startsWith(redis.url))).toBe(true);
      expect(attempts.map((l) => l.attempt)).toEqual(attempts.map((_, i) => i + 1));
      // No stack traces: nothing logged an error object while Redis was away.
      expect(agent.lines.filter((l) => l.level >= 40 && l.err !== undefined)).toEqual([]);

      await redis.start();
      await waitFor('readiness once Redis is there', async () => (await readyz(url)).status === 200, { timeoutMs: 30_000 });
      await expandThrough(url, 'after-redis');
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop();
      await redis.stop();
    }
  });

  it('without PostgreSQL: /readyz 503 naming postgresql, the password masked in each attempt; migrates and works once it answers', async () => {
    const relay = await startTcpRelay({ host: '127.0.0.1', port: 5432 });
    await relay.close();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = agentEnv(port, {});
    // Trust authentication ignores the password: it is there to be masked.
    const databaseUrl = env.AGENT_DATABASE_URL?.replace('postgres://postgres@127.0.0.1:5432', `postgres://postgres:not-for-logs@127.0.0.1:${relay.port}`) as string;
    const agent = startAgentProcess('start', { ...env, AGENT_DATABASE_URL: databaseUrl });
    try {
      await waitFor('/healthz', async () => (await fetch(`${url}/healthz`)).status === 200, { timeoutMs: 30_000 });
      const down = await readyz(url);
      expect(down.status).toBe(503);
      expect(down.body.checks).toMatchObject({ postgresql: false });
      expect(down.body.problems?.postgresql).toBeDefined();

      await waitFor('two connection attempts', () => attemptLines(agent, 'PostgreSQL is not reachable; retrying').length >= 2, { timeoutMs: 20_000 });
      const attempts = attemptLines(agent, 'PostgreSQL is not reachable; retrying');
      expect(attempts.every((l) => String(l.url).includes(`:****@127.0.0.1:${relay.port}/`))).toBe(true);
      expect(JSON.stringify(agent.lines)).not.toContain('not-for-logs');

      await relay.open();
      await waitFor('readiness once PostgreSQL answers', async () => (await readyz(url)).status === 200, { timeoutMs: 60_000 });
      await expandThrough(url, 'after-postgresql');
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop();
      await relay.stop();
    }
  });
});
