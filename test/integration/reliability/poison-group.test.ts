import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';

/**
 * Fault injection, issue 16 item 1: the intake records events that arrive together in one
 * PostgreSQL call. One event that PostgreSQL refuses, or one the contract refuses, must cost
 * no other event of its group anything, round after round (the rule resends a retryable
 * refusal up to 20 times, and each resend lands in another group).
 */

const GOOD_PER_ROUND = 40;
const ROUNDS = 4;

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'poison_group' });
  // The fault: PostgreSQL refuses one archive's row (a value it will never take), as it would a
  // value the contract missed. The other events of its group are good.
  await agent.db.pool.query(`ALTER TABLE archives ADD CONSTRAINT poison_for_test CHECK (logical_path NOT LIKE '%/poison-%')`);
});
afterAll(async () => {
  await agent?.close();
});

describe('a poison event among 40 concurrent good ones', () => {
  it('refuses only the poison events, every round; every good event gets its own job', async () => {
    const goodPaths: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const good = Array.from({ length: GOOD_PER_ROUND }, () => `/tempZone/home/alice/${randomName(`r${round}`)}.zip`);
      goodPaths.push(...good);
      const post = (path: string) => agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:g' }));
      // The bad ones in the middle of the burst, so that they share a group with good ones.
      const answers = await Promise.all([
        ...good.slice(0, 20).map(post),
        agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('poison')}.zip`, { size: 1, checksum: 'sha2:p' })),
        agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('nul')}\u0000.zip`, { size: 1, checksum: 'sha2:n' })),
        ...good.slice(20).map(post),
      ]);
      const poison = answers[20];
      const nul = answers[21];
      const goodAnswers = [...answers.slice(0, 20), ...answers.slice(22)];
      expect(goodAnswers.map((a) => a.status), `round ${round}`).toEqual(Array<number>(GOOD_PER_ROUND).fill(202));
      expect(new Set(goodAnswers.map((a) => a.json.job_id)).size).toBe(GOOD_PER_ROUND);
      expect(poison?.status).toBe(400);
      expect(poison?.json).toMatchObject({ accepted: false, retryable: false, error: 'unrecordable_event' });
      expect(nul?.status).toBe(400);
      expect(nul?.json).toMatchObject({ accepted: false, retryable: false, error: 'invalid_string' });
    }
    const { rows } = await agent.db.pool.query<{ n: number }>(
      'SELECT count(DISTINCT j.id)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = ANY($1)',
      [goodPaths],
    );
    expect(rows[0]?.n).toBe(GOOD_PER_ROUND * ROUNDS);
    // Each refusal is on record with its reason, for the admin who wonders what the rule sent.
    const refused = await agent.db.pool.query<{ reason: string; http_status: number }>(
      "SELECT reason, http_status FROM events WHERE verdict = 'rejected' AND logical_path LIKE '%/poison-%'",
    );
    expect(refused.rows).toHaveLength(ROUNDS);
    expect(refused.rows.every((r) => r.http_status === 400 && r.reason.startsWith('unrecordable_event: ') && r.reason.includes('23514'))).toBe(true);
  });
});
