import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

// The uploader sees `queued` on the archive as soon as the event is accepted, long before the
// debounce window lets the job start.

let irods: IrodsForTest;
let agent: TestAgent;

beforeAll(async () => {
  irods = await startIrodsForTest();
  agent = await startTestAgent({ label: 'queued', irods: irods.client, env: { AGENT_DEBOUNCE_SECONDS: '600' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

describe('status AVUs', () => {
  it('marks an accepted archive queued, with its job, right away', async () => {
    const alice = await irods.makeUser('alice');
    const lpath = '/tempZone/home/alice/waiting.zip';
    await alice.client.dataObjects.writeChunk(lpath, Buffer.from('PK\x05\x06'.padEnd(22, '\0')));
    const res = await agent.postEvent(landedEvent(lpath, { size: 22 }));
    expect(res.status).toBe(202);
    const status = await waitFor('the queued status AVUs', async () => {
      const avus = await agentAvus(irods.client, lpath);
      return avus.status ? avus : undefined;
    });
    expect(status).toMatchObject({ status: ['queued'], job: [res.json.job_id] });
  });
});
