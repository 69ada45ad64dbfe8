import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAND_SENT_PEP } from '../../src/cli/events-command.js';
import { TEST_SECRET, randomName, startTestAgent, type TestAgent } from '../support/agent.js';
import { assertBuilt, closedPort, runBuiltCli } from '../support/cli.js';
import { startIrodsForTest, type IrodsForTest } from '../support/irods.js';

/** `events send`: the rule's event, signed and POSTed by hand, as an administrator tests an installation. */

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

const env = (extra: Record<string, string> = {}) => ({
  AGENT_URL: agent.url,
  AGENT_WEBHOOK_SECRETS: TEST_SECRET,
  IRODS_HTTP_API_URL: irods.standin.baseUrl,
  IRODS_USERNAME: 'rods',
  IRODS_PASSWORD: 'rods',
  ...extra,
});

async function upload(name: string): Promise<string> {
  const lpath = `/tempZone/home/alice/${name}.zip`;
  await alice.client.dataObjects.writeChunk(lpath, Buffer.from('PK\x05\x06'.padEnd(22, '\0'), 'latin1'));
  return lpath;
}

beforeAll(async () => {
  assertBuilt();
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'cli_events', irods: irods.client });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

describe('irods-omero-agent events send', () => {
  it("signs the rule's event with the first secret; the agent accepts it and records who sent it (exit 0)", async () => {
    const lpath = await upload(randomName('sent'));
    const run = await runBuiltCli(['events', 'send', lpath, '--user', 'alice'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^HTTP 202: accepted, job [0-9a-f-]{36}\n$/);
    const { rows } = await agent.db.pool.query<{ verdict: string; body: string }>('SELECT verdict, body FROM events WHERE logical_path = $1', [lpath]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.verdict).toBe('accepted');
    expect(JSON.parse(rows[0]?.body ?? '{}')).toMatchObject({ data: { user: 'alice', user_zone: 'tempZone', client_user: 'alice#tempZone', pep: HAND_SENT_PEP } });
  });

  it("takes the uploader from the archive's owner in iRODS when --user is not given; --json for scripts", async () => {
    const lpath = await upload(randomName('owner'));
    const run = await runBuiltCli(['events', 'send', lpath, '--json'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 202, body: { accepted: true, status: 'accepted' }, webhook_id: expect.stringMatching(/^msg_/) as unknown });
    const { rows } = await agent.db.pool.query<{ uploader: string }>('SELECT uploader FROM archives WHERE logical_path = $1', [lpath]);
    expect(rows[0]?.uploader).toBe('alice');
  });

  it('exits with what the answer means: 5 for a refused signature, 3 for no agent, 2 without a secret', async () => {
    const lpath = await upload(randomName('refused'));
    const other = `whsec_${Buffer.from('another-secret-another-secret-32').toString('base64')}`;
    const refused = await runBuiltCli(['events', 'send', lpath, '--user', 'alice'], env({ AGENT_WEBHOOK_SECRETS: other }));
    expect(refused.code).toBe(5);
    expect(refused.stdout).toMatch(/^HTTP 401: bad_signature/);
    const port = await closedPort();
    const down = await runBuiltCli(['events', 'send', lpath, '--user', 'alice'], env({ AGENT_URL: `http://127.0.0.1:${port}` }));
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`the agent at http://127.0.0.1:${port} (AGENT_URL) does not answer`);
    const unsigned = await runBuiltCli(['events', 'send', lpath, '--user', 'alice'], env({ AGENT_WEBHOOK_SECRETS: '' }));
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('AGENT_WEBHOOK_SECRETS is empty');
  });
});
