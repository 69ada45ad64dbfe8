import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpApiChunkedWrite,
  icp,
  imv,
  iput,
  ireg,
  prcParallelPut,
  prcPut,
  runDelayServer,
  runScenario,
  s3PutObject,
  serverLog,
  type Step,
} from '../../standins/irods-rule-engine/scenario.js';
import { TEST_SECRET, startTestAgent, type TestAgent } from '../../support/agent.js';

// The Python rules under the rule-engine stand-in, POSTing to the real agent: every route by
// which an archive lands becomes exactly one job, and what is not an archive in a watched
// collection reaches no job.

const LAB = '/tempZone/home/lab';
let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'rules', env: { AGENT_WATCH: LAB, AGENT_DEBOUNCE_SECONDS: '30' } });
});
afterAll(async () => {
  await agent?.close();
});

async function deliver(steps: Step[]): Promise<void> {
  const result = await runScenario({
    config: { agent_url: `${agent.url}/v1/events`, watch: [LAB], delay_seconds: 10, retry_interval_seconds: 30, retry_times: 5, timeout_seconds: 5 },
    secret: TEST_SECRET,
    steps: [...steps, runDelayServer],
  });
  // Every queued event names its uploader and the agent takes it: 202, never a 400 left in the log.
  const log = serverLog(result);
  expect(log.filter((m) => m.includes('(not retried)') || m.includes('will retry'))).toEqual([]);
  if (result.executions.length) expect(log.some((m) => m.includes('delivered (HTTP 202)'))).toBe(true);
}

async function jobsFor(path: string): Promise<number> {
  const { rows } = await agent.db.pool.query('SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = $1', [path]);
  return (rows[0] as { n: number }).n;
}

async function verdicts(path: string): Promise<string[]> {
  const { rows } = await agent.db.pool.query('SELECT verdict FROM events WHERE logical_path = $1 ORDER BY received_at', [path]);
  return rows.map((r: { verdict: string }) => r.verdict);
}

describe('the Python rules against the real agent', () => {
  const routes: [string, (p: string) => Step[]][] = [
    ['iput', (p) => iput(p, { user: 'alice', size: 1000 })],
    ['python-irodsclient put', (p) => prcPut(p)],
    ['python-irodsclient parallel put (4 streams)', (p) => prcParallelPut(p, 4)],
    ['an HTTP API write in 8 chunks', (p) => httpApiChunkedWrite(p, 8)],
    ['S3 PutObject', (p) => s3PutObject(p)],
    ['ireg', (p) => ireg(p, { size: 1000 })],
  ];
  for (const [name, steps] of routes) {
    it(`turns ${name} into exactly one job`, async () => {
      const path = `${LAB}/${name.replace(/[^a-z0-9]+/gi, '-')}.zip`;
      await deliver(steps(path));
      expect(await jobsFor(path)).toBe(1);
      const seen = await verdicts(path);
      expect(seen[0]).toBe('accepted');
      expect(seen.every((v) => v === 'accepted' || v === 'duplicate')).toBe(true);
    });
  }

  it('turns imv and icp into a watched collection into one job each, at the destination', async () => {
    await deliver([...imv('/tempZone/home/alice/staging/moved.zip', `${LAB}/moved.zip`), ...icp('/tempZone/home/alice/copied.zip', `${LAB}/copied.tar`)]);
    expect(await jobsFor(`${LAB}/moved.zip`)).toBe(1);
    expect(await jobsFor(`${LAB}/copied.tar`)).toBe(1);
  });

  it('sends nothing for files that are not archives or not in a watched collection', async () => {
    await deliver([...iput(`${LAB}/image.tiff`, { size: 10 }), ...iput('/tempZone/home/alice/elsewhere.zip', { size: 10 })]);
    expect(await verdicts(`${LAB}/image.tiff`)).toEqual([]);
    expect(await verdicts('/tempZone/home/alice/elsewhere.zip')).toEqual([]);
  });
});
