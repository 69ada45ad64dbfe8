import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptNewArchives, type NewArchiveEvent, type NewArchiveRecorded } from '../../../src/store/index.js';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let db: TestDatabase;
let agent: TestAgent;

beforeAll(async () => {
  [db, agent] = await Promise.all([createTestDatabase('new_archives'), startTestAgent({ label: 'burst' })]);
});
afterAll(async () => {
  await Promise.all([db?.drop(), agent?.close()]);
});

const newPath = () => `/tempZone/home/alice/${randomName('batch')}.zip`;

function event(path: string, webhookId = `msg_${randomUUID()}`): NewArchiveEvent {
  return {
    webhookId,
    logicalPath: path,
    zone: 'tempZone',
    size: 10,
    checksum: 'sha2:x',
    resource: null,
    uploader: 'alice',
    notBefore: new Date(),
    firstStep: 'inspect',
    eventType: 'data_object.landed',
    headers: { 'webhook-id': webhookId },
    body: '{}',
  };
}

/** The batch's outcomes, each expected to be settled as fulfilled. */
async function accept(events: NewArchiveEvent[]): Promise<(NewArchiveRecorded | undefined)[]> {
  const settled = await acceptNewArchives(db.pool, events);
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(sql, params);
  return rows[0]?.n ?? 0;
}

describe('acceptNewArchives (several events in one call)', () => {
  it('records each never-seen path once and leaves the others, in the order given, for the full decision', async () => {
    const [a, b, known] = [newPath(), newPath(), newPath()];
    await accept([event(known)]);
    const results = await accept([event(a), event(known), event(b), event(a)]);
    expect(results.map((r) => r !== undefined)).toEqual([true, false, true, false]);
    expect(results[0]?.jobId).not.toBe(results[2]?.jobId);
    for (const path of [a, b, known]) {
      expect(await count('SELECT count(*)::int AS n FROM archives WHERE logical_path = $1', [path])).toBe(1);
    }
    const { rows } = await db.pool.query('SELECT a.logical_path, e.verdict FROM jobs j JOIN archives a ON a.id = j.archive_id JOIN events e ON e.job_id = j.id WHERE j.id = $1', [results[2]?.jobId]);
    expect(rows).toEqual([{ logical_path: b, verdict: 'accepted' }]);
  });

  it('records the rest of a batch one by one when one event reuses a seen webhook id for another path', async () => {
    const reused = `msg_${randomUUID()}`;
    await accept([event(newPath(), reused)]);
    const [a, other, b] = [newPath(), newPath(), newPath()];
    const results = await accept([event(a), event(other, reused), event(b)]);
    expect(results.map((r) => r !== undefined)).toEqual([true, false, true]);
    expect(await count('SELECT count(*)::int AS n FROM archives WHERE logical_path = $1', [other])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM events WHERE webhook_id = $1', [reused])).toBe(1);
  });

  it('lets concurrent batches over the same paths, in opposite orders, finish without a deadlock', async () => {
    const paths = Array.from({ length: 20 }, newPath);
    const reversed = [...paths].reverse();
    const rounds = await Promise.all([
      accept(paths.map((p) => event(p))),
      accept(reversed.map((p) => event(p))),
      accept(paths.map((p) => event(p))),
    ]);
    // Each path recorded exactly once, by whichever batch locked it first.
    const recorded = rounds.flatMap((results, r) => results.flatMap((x, i) => (x ? [(r === 1 ? reversed : paths)[i]] : [])));
    expect(recorded.sort()).toEqual([...paths].sort());
  });
});

describe('a burst of events through POST /v1/events', () => {
  it('makes one job per new archive and one of the repeated reports of an upload, whatever shares a call', async () => {
    const fresh = Array.from({ length: 30 }, newPath);
    const repeated = newPath();
    const reusedId = `msg_${randomUUID()}`;
    const seen = await agent.postEvent(landedEvent(newPath(), { size: 1, checksum: 'sha2:s' }), { id: reusedId });
    expect(seen.status).toBe(202);

    const answers = await Promise.all([
      ...fresh.map((p) => agent.postEvent(landedEvent(p, { size: 1, checksum: 'sha2:f' }))),
      ...Array.from({ length: 5 }, () => agent.postEvent(landedEvent(repeated, { size: 2, checksum: 'sha2:r' }))),
      agent.postEvent(landedEvent(newPath(), { size: 3, checksum: 'sha2:o' }), { id: reusedId }),
    ]);
    const statuses = answers.map((a) => a.json.status as string);
    expect(statuses.slice(0, 30).every((s) => s === 'accepted')).toBe(true);
    expect(statuses.slice(30, 35).sort()).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(statuses[35]).toBe('replayed');
    expect(new Set(answers.slice(30, 35).map((a) => a.json.job_id)).size).toBe(1);
    const { rows } = await agent.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = ANY($1)',
      [[...fresh, repeated]],
    );
    expect(rows[0]?.n).toBe(31);
  });
});
