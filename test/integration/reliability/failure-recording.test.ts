import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { bullJobId, createWorkerConnection, type StepJobData } from '../../../src/pipeline/queues.js';
import { sweep } from '../../../src/pipeline/sweeper.js';
import { removeTempArchives, tarWithEntryType, zipWithEntryName } from '../../support/archives/index.js';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

/**
 * Fault injection, issue 16 item 11: no job stays `running` without a worker on it. A failure
 * whose text PostgreSQL cannot take as it is, a failure the runner cannot record at all, and a
 * step BullMQ ends behind the runner's back all end in a failed job, on the archive too.
 */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'failure_recording', irods: irods.client, workers: true, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

async function land(localPath: string): Promise<{ lpath: string; jobId: string }> {
  const lpath = `/tempZone/home/alice/${randomName('a')}.${localPath.endsWith('.tar') ? 'tar' : 'zip'}`;
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status).toBe(202);
  return { lpath, jobId: res.json.job_id as string };
}

async function inspectAttempts(jobId: string): Promise<number> {
  const { rows } = await agent.db.pool.query<{ attempts: number }>("SELECT attempts FROM job_steps WHERE job_id = $1 AND step = 'inspect'", [jobId]);
  return rows[0]?.attempts ?? 0;
}

describe('a failure is always recorded', () => {
  it('fails at once a zip whose entry name holds a NUL byte, with the name shown safely, on the job and on the archive', async () => {
    const { lpath, jobId } = await land(await zipWithEntryName('evil\u0000name.txt'));
    const job = await waitForJob(agent.db.pool, jobId, ['failed'], 30_000);
    expect(job).toMatchObject({ step: 'inspect', error_code: 'unsafe_path' });
    expect(job.error_message).toContain('evil\\x00name.txt');
    expect(job.error_entry).toBe('evil\ufffdname.txt');
    expect(await inspectAttempts(jobId)).toBe(1);
    const avus = await waitFor('the archive to say failed', async () => {
      const now = await agentAvus(irods.client, lpath);
      return now.status?.[0] === 'failed' ? now : undefined;
    });
    expect(avus.error?.[0]).toContain('evil\\x00name.txt');
  });

  it('records a safe rendering of a failure PostgreSQL refuses as it is (a database that takes ASCII only)', async () => {
    // As a SQL_ASCII or LATIN1 database would refuse "été": a constraint on both tables.
    for (const table of ['jobs', 'job_steps']) {
      await agent.db.pool.query(`ALTER TABLE ${table} ADD CONSTRAINT ascii_only_for_test CHECK (error_message IS NULL OR error_message ~ '^[ -~]*$')`);
    }
    try {
      const { jobId } = await land(await tarWithEntryType('2', 'lien-été'));
      const job = await waitForJob(agent.db.pool, jobId, ['failed'], 30_000);
      expect(job.error_code).toBe('unsupported_entry_type');
      expect(job.error_message).toContain('lien-\\u00e9t\\u00e9');
      expect(job.error_message).toContain('symbolic link');
      // Inspect lists every entry before anything is written (a tar too, for the path limits).
      const { rows } = await agent.db.pool.query("SELECT state, error_code FROM job_steps WHERE job_id = $1 AND step = 'inspect'", [jobId]);
      expect(rows[0]).toEqual({ state: 'failed', error_code: 'unsupported_entry_type' });
    } finally {
      for (const table of ['jobs', 'job_steps']) await agent.db.pool.query(`ALTER TABLE ${table} DROP CONSTRAINT ascii_only_for_test`);
    }
  });

  it('fails the job when its runner cannot record the failure at all: the worker records it once BullMQ has ended the step', async () => {
    // The fault: the first write of a failed step is refused, whatever its text (the runner's);
    // PostgreSQL takes writes again afterwards. A sequence, because it is not rolled back.
    await agent.db.pool.query(`
      CREATE SEQUENCE refusals_for_test;
      CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.state = 'failed' AND nextval('refusals_for_test') = 1 THEN RAISE EXCEPTION 'injected fault'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_for_test BEFORE UPDATE ON job_steps FOR EACH ROW EXECUTE FUNCTION refuse_for_test();`);
    try {
      const { lpath, jobId } = await land(await tarWithEntryType('2', 'link'));
      const job = await waitForJob(agent.db.pool, jobId, ['failed'], 30_000);
      // The failure itself, not the fault that kept it from being recorded.
      // Inspect refuses the tar (it lists every entry before anything is written).
      expect(job).toMatchObject({ step: 'inspect', error_code: 'unsupported_entry_type' });
      expect(job.error_message).toContain('symbolic link');
      const { rows } = await agent.db.pool.query("SELECT state, attempts FROM job_steps WHERE job_id = $1 AND step = 'inspect'", [jobId]);
      expect(rows[0]).toEqual({ state: 'failed', attempts: 1 });
      await waitFor('the archive to say failed', async () => (await agentAvus(irods.client, lpath)).status?.[0] === 'failed');
    } finally {
      await agent.db.pool.query('DROP TRIGGER refuse_for_test ON job_steps; DROP FUNCTION refuse_for_test(); DROP SEQUENCE refusals_for_test');
    }
  });
});

describe('the sweeper', () => {
  it('fails a running job whose step BullMQ failed without the agent knowing (its worker died too often), and writes failed on the archive', async () => {
    // An agent without workers, so that only the sweep can notice.
    const idle = await startTestAgent({ label: 'failure_recording_sweep', irods: irods.client });
    const bare = createWorkerConnection(idle.config.redisUrl);
    try {
      const lpath = `/tempZone/home/alice/${randomName('lost')}.zip`;
      const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
      const jobId = (await idle.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
      // What BullMQ does to a job whose workers died more than maxStalledCount times.
      const worker = new Worker<StepJobData>(
        'inspect',
        () => {
          throw new UnrecoverableError('job stalled more than allowable limit');
        },
        { connection: bare, prefix: idle.config.queuePrefix },
      );
      const bull = idle.queues.queue('inspect');
      await waitFor('BullMQ to fail the step job', async () => (await bull.getJob(bullJobId({ jobId, run: 1, step: 'inspect' })))?.isFailed());
      await worker.close();
      // PostgreSQL still says running, and has for a while.
      await idle.db.pool.query("UPDATE jobs SET state = 'running', enqueued_at = now(), updated_at = now() - interval '10 minutes' WHERE id = $1", [jobId]);

      const report = await sweep({ config: idle.config, pool: idle.db.pool, queues: idle.queues, irods: irods.client, log: createLogger({ level: 'silent' }), metrics: idle.metrics });
      expect(report.orphans.failed).toEqual([jobId]);
      expect(report.statusesWritten).toBeGreaterThanOrEqual(1);
      const { rows } = await idle.db.pool.query('SELECT state, error_code, error_message FROM jobs WHERE id = $1', [jobId]);
      expect(rows[0]).toMatchObject({ state: 'failed', error_code: 'worker_lost' });
      expect((await agentAvus(irods.client, lpath)).status).toEqual(['failed']);
    } finally {
      bare.disconnect();
      await idle.close();
    }
  });
});
