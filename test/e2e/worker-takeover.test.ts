import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAKEOVER } from '../../src/pipeline/workers.js';
import { buildTar, extractWithSystemTool, removeTempArchives } from '../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../support/agent.js';
import { startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { startIrodsForTest, type IrodsForTest } from '../support/irods.js';
import { irodsTree, uploadFile, waitForJob } from '../support/pipeline.js';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { waitFor } from '../support/wait.js';

/**
 * Fault injection, issue 16 item 9: a worker process is killed (SIGKILL) in the middle of an
 * expansion. Another worker process takes the step over within 15 s (it waited 60 s and more)
 * and the tree ends identical to the archive.
 */

const FILES = 800;
const TAKEOVER_LIMIT_MS = 15_000;

let irods: IrodsForTest;
let relay: TcpRelay;
let intake: TestAgent;
const processes: AgentProcess[] = [];

beforeAll(async () => {
  irods = await startIrodsForTest();
  relay = await startTcpRelay({ host: '127.0.0.1', port: irods.standin.port });
  // The intake in this process; the workers in their own processes, on its database and queues.
  intake = await startTestAgent({ label: 'e2e_takeover', irods: irods.client });
});
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await intake?.close();
  await relay?.stop();
  await irods?.close();
  await removeTempArchives();
});

function startWorker(irodsUrl: string): AgentProcess {
  const worker = startAgentProcess('work', {
    AGENT_DATABASE_URL: intake.db.url,
    AGENT_REDIS_URL: intake.config.redisUrl,
    AGENT_QUEUE_PREFIX: intake.config.queuePrefix,
    AGENT_WATCH: '/tempZone/home',
    AGENT_STABLE_SECONDS: '0',
    AGENT_SWEEP_INTERVAL_SECONDS: '0',
    AGENT_LOG_LEVEL: 'info',
    IRODS_HTTP_API_URL: irodsUrl,
    IRODS_PASSWORD: 'rods',
  });
  processes.push(worker);
  return worker;
}

async function expandAttempts(jobId: string): Promise<number> {
  const { rows } = await intake.db.pool.query<{ attempts: number }>("SELECT attempts FROM job_steps WHERE job_id = $1 AND step = 'expand'", [jobId]);
  return rows[0]?.attempts ?? 0;
}

describe('kill -9 of a worker mid-expansion', () => {
  it('is taken over by another worker within 15 s, and the tree ends identical to the archive', async () => {
    expect(TAKEOVER.lockDuration + TAKEOVER.stalledInterval).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    const alice = await irods.makeUser('alice');
    const local = await buildTar(Array.from({ length: FILES }, (_, i) => ({ name: `data/f${String(i).padStart(4, '0')}.bin`, data: `${i}:`.repeat(2000) })));
    const lpath = '/tempZone/home/alice/takeover.tar';
    const size = await uploadFile(alice.client, lpath, local);
    const target = '/tempZone/home/alice/takeover';

    // Worker A reaches iRODS through the relay, so the test can freeze it mid-step.
    const relayed = new URL(irods.standin.baseUrl);
    relayed.port = String(relay.port);
    const first = startWorker(relayed.toString().replace(/\/$/, ''));
    await waitFor('worker A to start', () => first.lines.some((l) => l.msg === 'workers started'), { timeoutMs: 30_000 });
    const jobId = (await intake.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
    await waitFor(
      'worker A to be expanding',
      async () => (await irods.client.collections.list(`${target}/data`).catch(() => [])).length >= 10,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    relay.pause();
    expect(await expandAttempts(jobId)).toBe(1);

    const second = startWorker(irods.standin.baseUrl);
    await waitFor('worker B to start', () => second.lines.some((l) => l.msg === 'workers started'), { timeoutMs: 30_000 });

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    await waitFor('worker B to take the step over', async () => (await expandAttempts(jobId)) === 2, { timeoutMs: 2 * TAKEOVER_LIMIT_MS, intervalMs: 100 });
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);

    const job = await waitForJob(intake.db.pool, jobId, ['succeeded'], 90_000);
    expect(job.progress).toMatchObject({ entriesDone: FILES, entriesTotal: FILES });
    const expected = await extractWithSystemTool(local, 'tar');
    expect((await irodsTree(irods.client, target)).files).toEqual(expected.files);
    expect(await second.stop()).toBe(0);
    // For the README's reliability table.
    console.info(`takeover after kill -9: ${(takeoverMs / 1000).toFixed(1)} s`);
  });
});
