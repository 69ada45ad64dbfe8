import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';

// POST /v1/events/native (deprecated, kept for installed rules): what the earlier native-language
// rule sent with msiCurlPost (one header, a form content type, the delivery id in the body), and
// the answers it can read (JSON only). The current native rule marks the archive instead
// (native-marks.test.ts).

const TOKEN = 'native-rule-token-0123456789abcdef0123';
let agent: TestAgent;
let plain: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'native', env: { AGENT_NATIVE_RULE_TOKENS: TOKEN } });
  plain = await startTestAgent({ label: 'nonative' });
});
afterAll(async () => {
  await agent?.close();
  await plain?.close();
});

function post(target: TestAgent, body: unknown, token = TOKEN) {
  return fetch(`${target.url}/v1/events/native`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-agent-token': token },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/events/native', () => {
  it('accepts an event with the shared token whatever the content type, and de-duplicates on the body id', async () => {
    const body = { id: `nat_1700000000_42_${randomName('n')}`, ...landedEvent(`/tempZone/home/alice/${randomName('p')}.zip`, { size: 10 }) };
    const first = await post(agent, body);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ accepted: true, status: 'accepted' });
    const again = await post(agent, body);
    expect(await again.json()).toMatchObject({ accepted: true, status: 'replayed' });
  });

  it('tells the rule in the body when a request will never succeed, and when to retry', async () => {
    // An archive path of this test's own, in the recorded body (the form-typed body is kept raw):
    // the refusal this test makes is the one row the count finds.
    const path = `/tempZone/home/alice/${randomName('x')}.zip`;
    const bad = await post(agent, { id: 'nat_x', ...landedEvent(path) }, 'wrong-token-wrong-token-wrong-token!!');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ accepted: false, retryable: false, error: 'bad_token' });
    const malformed = await post(agent, { id: 'nat_y', type: 'data_object.landed' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ accepted: false, retryable: false });
    const { rows } = await agent.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM events WHERE verdict = 'rejected' AND reason LIKE 'bad_token%' AND strpos(body, $1) > 0",
      [path],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('does not exist unless AGENT_NATIVE_RULE_TOKENS is set', async () => {
    expect((await post(plain, { id: 'nat_z', ...landedEvent('/tempZone/home/alice/z.zip') })).status).toBe(404);
  });
});
