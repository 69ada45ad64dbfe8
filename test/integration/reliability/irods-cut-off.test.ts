import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTar, removeTempArchives } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, replay, uploadFile, waitForJob } from '../../support/pipeline.js';
import { startTcpRelay, type TcpRelay } from '../../support/tcp-relay.js';
import { waitFor } from '../../support/wait.js';

/**
 * Fault injection, issue 16 item 6: the iRODS HTTP API goes away in the middle of an expansion,
 * long enough for the job to fail. Writing `failed` on the archive fails too (iRODS is away);
 * once iRODS is back the archive must say `failed`, not `running` for ever.
 */

let irods: IrodsForTest;
let relay: TcpRelay;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

const FILES = 1500;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  relay = await startTcpRelay({ host: '127.0.0.1', port: irods.standin.port });
  // The agent reaches iRODS only through the relay; the test looks at iRODS directly.
  const throughRelay = irods.clientVia(relay.port, 'rods', 'rods', { admin: true, requestTimeoutMs: 5_000 });
  agent = await startTestAgent({
    label: 'irods_cut_off',
    irods: throughRelay,
    workers: true,
    env: { AGENT_STEP_ATTEMPTS: '3', AGENT_STEP_BACKOFF_MS: '100', AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  });
});
afterAll(async () => {
  await agent?.close();
  await relay?.stop();
  await irods?.close();
  await removeTempArchives();
});

describe('iRODS cut off mid-expansion', () => {
  it('fails the job irods_unavailable, and the archive says failed once iRODS is back; a replay then expands it', async () => {
    const local = await buildTar(Array.from({ length: FILES }, (_, i) => ({ name: `images/f${String(i).padStart(4, '0')}.txt`, data: `file ${i}\n`.repeat(40) })));
    const lpath = '/tempZone/home/alice/cut-off.tar';
    const size = await uploadFile(alice.client, lpath, local);
    const jobId = (await agent.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
    const target = '/tempZone/home/alice/cut-off';

    // Mid-expansion: some files are in iRODS, far from all.
    await waitFor(
      'the expansion to be under way',
      async () => {
        const written = await irods.client.collections.list(`${target}/images`).catch(() => []);
        return written.length >= 20;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    await relay.close();

    const failed = await waitForJob(agent.db.pool, jobId, ['failed'], 60_000);
    expect(failed).toMatchObject({ step: 'expand', error_code: 'irods_unavailable' });
    // The worker could not write `failed` on the archive: it says what it said before, and the
    // job remembers that its archive is behind.
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['running']);
    expect(failed.archive_status).not.toBe('failed');

    await relay.open();
    const avus = await waitFor(
      'the archive to say failed',
      async () => {
        const now = await agentAvus(irods.client, lpath);
        return now.status?.[0] === 'failed' ? now : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(avus).toMatchObject({ job: [jobId], step: ['expand'] });
    expect(avus.error?.[0]).toContain('iRODS did not answer');
    const { rows } = await agent.db.pool.query('SELECT archive_status FROM jobs WHERE id = $1', [jobId]);
    expect(rows[0].archive_status).toBe('failed');

    // What an operator does next (docs/operations.md): replay; the expansion resumes.
    await replay(agent, jobId, 'expand');
    const done = await waitForJob(agent.db.pool, jobId, ['succeeded'], 60_000);
    expect(done.progress).toMatchObject({ entriesDone: FILES, entriesTotal: FILES });
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['expanded']);
    expect(await irods.client.collections.list(`${target}/images`)).toHaveLength(FILES);
  });
});
