import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { createStepHandlers } from '../../../src/pipeline/steps/index.js';
import { startWorkers, stepsToRun, type WorkerHost } from '../../../src/pipeline/workers.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

// AGENT_WORKER_STEPS: a process works only on the steps it names (e.g. the omero step on the
// OMERO host); a job waits at a step until some process runs it.

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
let irods: IrodsForTest;
let agent: TestAgent;
let second: WorkerHost | undefined;

beforeAll(async () => {
  irods = await startIrodsForTest();
  agent = await startTestAgent({ label: 'steps', irods: irods.client, workers: true, env: { AGENT_WORKER_STEPS: 'inspect,expand' } });
});
afterAll(async () => {
  await second?.close();
  await agent?.close();
  await irods?.close();
});

describe('AGENT_WORKER_STEPS', () => {
  it('refuses an unknown step name', () => {
    expect(() => stepsToRun(['expand', 'unzip'])).toThrow(/AGENT_WORKER_STEPS: unknown step\(s\) unzip/);
    expect(stepsToRun([])).toEqual(['inspect', 'expand', 'permissions', 'metadata', 'omero', 'finalize', 'unregister']);
  });

  it('leaves a job at the first step this process does not run, until another process takes it', async () => {
    const alice = await irods.makeUser('alice');
    const lpath = '/tempZone/home/alice/split.zip';
    const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_dataset.zip`);
    const jobId = (await agent.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
    await waitFor('the job to reach permissions', async () => {
      const { rows } = await agent.db.pool.query("SELECT step FROM jobs WHERE id = $1 AND step = 'permissions' AND state = 'running'", [jobId]);
      return rows.length > 0;
    });

    const config = { ...agent.config, workers: { ...agent.config.workers, steps: ['permissions', 'metadata', 'finalize'] } };
    const log = createLogger({ level: 'silent' });
    second = await startWorkers({ config, pool: agent.db.pool, irods: irods.client, log, metrics: agent.metrics, queues: agent.queues, handlers: createStepHandlers(config, log) });
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.state).toBe('succeeded');
  });
});
