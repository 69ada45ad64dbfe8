import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { sweep } from '../../../src/pipeline/sweeper.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

/**
 * Fault injection, issue 16 item 8: the agent's IRODS_PASSWORD is wrong. Nothing is lost: each
 * event is recorded (202) and its job waits, saying irods_unauthorized, until iRODS accepts the
 * agent (here: the iRODS admin sets the account's password to what the agent has), then runs.
 */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
const AGENT_PASSWORD = 'what-the-agent-was-given';

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  // The agent's own rodsadmin account, whose password in iRODS is not the one the agent has.
  await irods.client.users.createUser('svc', { zone: irods.zone, userType: 'rodsadmin' });
  await irods.client.users.setPassword('svc', 'the-password-in-irods', { zone: irods.zone });
  agent = await startTestAgent({
    label: 'wrong_password',
    irods: irods.clientFor('svc', AGENT_PASSWORD, { admin: true }),
    workers: true,
    env: {
      IRODS_USERNAME: 'svc',
      IRODS_PASSWORD: AGENT_PASSWORD,
      AGENT_IRODS_LOGIN_RETRY_SECONDS: '1',
      AGENT_SWEEP_GRACE_SECONDS: '0',
      AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
  });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

async function readiness(): Promise<{ status: number; body: { status: string; checks: Record<string, boolean>; problems?: Record<string, string> } }> {
  const res = await fetch(`${agent.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, boolean>; problems?: Record<string, string> } };
}

describe('a wrong IRODS_PASSWORD', () => {
  it('records every event, keeps its job waiting with irods_unauthorized, and runs it once iRODS accepts the agent', async () => {
    const ready = await readiness();
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ postgresql: true, redis: true, irods: false });
    expect(ready.body.problems?.irods).toMatch(/401|authentication/);

    // A close event of the HTTP API carries neither size nor checksum: the intake must stat.
    const lpath = '/tempZone/home/alice/while-refused.zip';
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const res = await agent.postEvent(landedEvent(lpath, { pep: 'pep_api_replica_close_post' }));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    const jobId = res.json.job_id as string;

    const waiting = await waitFor('the job to wait for the login', async () => {
      const { rows } = await agent.db.pool.query('SELECT state, step, error_code, error_message FROM jobs WHERE id = $1', [jobId]);
      return rows[0]?.error_code === 'irods_unauthorized' ? rows[0] : undefined;
    });
    expect(waiting).toMatchObject({ state: 'running', step: 'inspect' });
    expect(waiting.error_message).toMatch(/IRODS_PASSWORD/);
    const steps = await agent.db.pool.query("SELECT state, error_code FROM job_steps WHERE job_id = $1 AND step = 'inspect'", [jobId]);
    expect(steps.rows[0]).toMatchObject({ state: 'queued', error_code: 'irods_unauthorized' });

    // An archive whose event the rule gave up on meanwhile (none came): the sweep finds it later.
    const missed = '/tempZone/home/alice/event-never-came.zip';
    await uploadFile(alice.client, missed, `${FIXTURES}valid_single_dataset.zip`);

    // The iRODS administrator gives the account the password the agent has.
    await irods.client.users.setPassword('svc', AGENT_PASSWORD, { zone: irods.zone });
    const job = await waitForJob(agent.db.pool, jobId, ['succeeded'], 60_000);
    expect(job.error_code).toBeNull();
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['expanded']);

    const report = await sweep({
      config: agent.config,
      pool: agent.db.pool,
      queues: agent.queues,
      irods: irods.clientFor('svc', AGENT_PASSWORD, { admin: true }),
      log: createLogger({ level: 'silent' }),
      metrics: agent.metrics,
    });
    const found = report.missed.find((m) => m.path === missed);
    expect(found).toMatchObject({ reason: 'no_job', verdict: 'accepted' });
    await waitForJob(agent.db.pool, found?.jobId as string, ['succeeded'], 60_000);

    await waitFor('readiness to report the login as good', async () => (await readiness()).body.checks.irods === true, { timeoutMs: 15_000 });
  });
});
