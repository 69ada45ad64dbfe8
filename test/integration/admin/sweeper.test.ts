import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { startSweeper, sweep, type SweepDeps } from '../../../src/pipeline/sweeper.js';
import { bullJobId } from '../../../src/pipeline/queues.js';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

/** The sweeper against the iRODS stand-in and real workers: archives whose event never came. */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
let deps: SweepDeps;
let watched: string;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  // Each test file has its own zone, but watching a collection of its own keeps the story clear.
  watched = `/tempZone/home/alice/${randomName('watched')}`;
  await alice.client.collections.create(watched);
  agent = await startTestAgent({
    label: 'admin_sweeper',
    irods: irods.client,
    workers: true,
    env: { AGENT_WATCH: watched, AGENT_SWEEP_GRACE_SECONDS: '0', AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  });
  deps = { config: agent.config, pool: agent.db.pool, queues: agent.queues, irods: irods.client, log: createLogger({ level: 'silent' }), metrics: agent.metrics };
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

async function jobsFor(lpath: string): Promise<{ id: string; state: string }[]> {
  const { rows } = await agent.db.pool.query(
    'SELECT j.id, j.state FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = $1 ORDER BY j.created_at',
    [lpath],
  );
  return rows as { id: string; state: string }[];
}

describe('sweep', () => {
  it('finds an archive whose event never came: reports it in a dry run, then gives it a job that expands it', async () => {
    const lpath = `${watched}/${randomName('missed')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    await uploadFile(alice.client, `${watched}/notes.txt`, `${FIXTURES}LICENSE-NOTE.txt`);

    const dry = await sweep(deps, { dryRun: true });
    expect(dry).toMatchObject({ ran: true, dryRun: true });
    expect(dry.missed).toEqual([expect.objectContaining({ path: lpath, owner: 'alice', reason: 'no_job' })]);
    expect(await jobsFor(lpath)).toEqual([]);

    const report = await sweep(deps);
    expect(report.missed).toEqual([expect.objectContaining({ path: lpath, reason: 'no_job', verdict: 'accepted' })]);
    const jobId = report.missed[0]?.jobId as string;
    await waitForJob(agent.db.pool, jobId, ['succeeded']);
    const { rows } = await agent.db.pool.query(
      "SELECT e.verdict, e.body::jsonb -> 'data' ->> 'pep' AS pep, a.action, a.actor FROM events e JOIN admin_actions a ON a.job_id = e.job_id WHERE e.job_id = $1",
      [jobId],
    );
    expect(rows).toEqual([{ verdict: 'accepted', pep: 'sweeper', action: 'sweep_created', actor: 'sweeper' }]);

    // Nothing left to find: the archive has its job, and the expanded tree is the agent's own.
    const target = lpath.slice(0, -'.zip'.length);
    await irods.client.collections.setPermission(target, 'alice', 'own', { admin: true });
    await uploadFile(alice.client, `${target}/attachment.zip`, `${FIXTURES}valid_single_image.zip`);
    const after = await sweep(deps);
    expect(after.missed).toEqual([]);
    expect(after.scanned).toBeGreaterThanOrEqual(2);
  });

  it('gives a new version of an archive (replaced without an event) a job of its own', async () => {
    const lpath = `${watched}/${randomName('replaced')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const first = (await sweep(deps)).missed.find((m) => m.path === lpath)?.jobId as string;
    await waitForJob(agent.db.pool, first, ['succeeded', 'failed']);
    await alice.client.dataObjects.remove(lpath, { catalogOnly: false, noTrash: true });
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_dataset.zip`);
    const second = await sweep(deps, { dryRun: true });
    expect(second.missed).toEqual([expect.objectContaining({ path: lpath, reason: 'new_version' })]);
  });

  it('leaves archives modified within the grace period to their own event', async () => {
    const lpath = `${watched}/${randomName('fresh')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const patient = { ...deps, config: { ...agent.config, sweeper: { ...agent.config.sweeper, graceSeconds: 3600 } } };
    const report = await sweep(patient, { dryRun: true });
    expect(report.missed.map((m) => m.path)).not.toContain(lpath);
    await sweep(deps);
  });

  it('does nothing while another agent holds the sweep lock', async () => {
    const other = await agent.db.pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [0x1a0e_5eee]);
      const report = await sweep(deps);
      expect(report).toMatchObject({ ran: false, missed: [] });
    } finally {
      await other.query('SELECT pg_advisory_unlock($1)', [0x1a0e_5eee]);
      other.release();
    }
    expect((await sweep(deps, { dryRun: true })).ran).toBe(true);
  });

  it('lists stuck jobs and re-enqueues one Redis lost', async () => {
    const lpath = `${watched}/${randomName('stuck')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const jobId = (await sweep(deps)).missed.find((m) => m.path === lpath)?.jobId as string;
    await waitForJob(agent.db.pool, jobId, ['succeeded']);
    // As if the agent had died mid-step and Redis had lost its data since.
    await agent.db.pool.query(
      `UPDATE jobs SET state = 'running', step = 'finalize', updated_at = now() - interval '2 hours', finished_at = NULL WHERE id = $1`,
      [jobId],
    );
    await agent.queues.queue('finalize').remove(bullJobId({ jobId, run: 1, step: 'finalize' }));
    const report = await sweep(deps);
    expect(report.stuckCount).toBe(1);
    expect(report.stuck).toEqual([expect.objectContaining({ jobId, state: 'running', step: 'finalize', requeued: true })]);
    await waitForJob(agent.db.pool, jobId, ['succeeded']);
  });

  it('enqueues jobs left in the outbox (committed, never sent to Redis)', async () => {
    // An agent without workers: their own outbox flush would otherwise race the sweep.
    const idle = await startTestAgent({ label: 'admin_sweeper_outbox', irods: irods.client, env: { AGENT_WATCH: `${watched}/none` } });
    try {
      const res = await idle.postEvent(landedEvent(`${watched}/none/${randomName('outbox')}.zip`, { size: 1, checksum: 'sha2:o' }));
      const jobId = res.json.job_id as string;
      const bullId = bullJobId({ jobId, run: 1, step: 'inspect' });
      await idle.queues.queue('inspect').remove(bullId);
      const idleDeps = { ...deps, config: idle.config, pool: idle.db.pool, queues: idle.queues };
      // Just committed: not the sweep's business yet (its step is not overdue).
      expect((await sweep(idleDeps, { dryRun: true })).outbox).toBe(0);
      // Committed an hour ago and never sent: found.
      await idle.db.pool.query("UPDATE jobs SET enqueued_at = NULL, updated_at = now() - interval '1 hour', not_before = now() - interval '1 hour' WHERE id = $1", [jobId]);
      expect((await sweep(idleDeps, { dryRun: true })).outbox).toBe(1);
      expect(await idle.queues.queue('inspect').getJob(bullId)).toBeUndefined();
      expect((await sweep(idleDeps)).outbox).toBe(1);
      expect((await idle.queues.queue('inspect').getJob(bullId))?.data).toEqual({ jobId, run: 1, step: 'inspect' });
      expect((await sweep(idleDeps)).outbox).toBe(0);
    } finally {
      await idle?.close();
    }
  });

  it('runs by itself every AGENT_SWEEP_INTERVAL_SECONDS', async () => {
    const lpath = `${watched}/${randomName('periodic')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const sweeper = startSweeper({ ...deps, config: { ...agent.config, sweeper: { ...agent.config.sweeper, intervalSeconds: 1 } } });
    try {
      const jobs = await waitFor('the periodic sweep to make a job', async () => {
        const found = await jobsFor(lpath);
        return found.length ? found : undefined;
      });
      await waitForJob(agent.db.pool, (jobs[0] as { id: string }).id, ['succeeded']);
    } finally {
      await sweeper.close();
    }
  });
});
