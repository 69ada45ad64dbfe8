import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullJobId } from '../../../src/pipeline/queues.js';
import { TEST_SECRET, landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'events' });
});
afterAll(async () => {
  await agent?.close();
});

async function eventRows(where = 'true', params: unknown[] = []) {
  const { rows } = await agent.db.pool.query(`SELECT * FROM events WHERE ${where} ORDER BY received_at`, params);
  return rows as { verdict: string; reason: string | null; http_status: number; webhook_id: string | null; job_id: string | null; body: string | null }[];
}

const archivePath = () => `/tempZone/home/alice/${randomName('project')}.zip`;

describe('POST /v1/events', () => {
  it('accepts a signed event for an archive in a watched collection: 202, job row, BullMQ job, Location', async () => {
    const path = archivePath();
    const res = await agent.postEvent(landedEvent(path, { size: 1234, checksum: 'sha2:abc' }));
    expect(res.status).toBe(202);
    const jobId = res.json.job_id as string;
    expect(res.headers.get('location')).toBe(`/v1/jobs/${jobId}`);
    const { rows } = await agent.db.pool.query('SELECT j.state, j.step, a.logical_path, a.size, a.uploader FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE j.id = $1', [jobId]);
    expect(rows[0]).toMatchObject({ state: 'queued', step: 'inspect', logical_path: path, size: 1234, uploader: 'alice' });
    // In BullMQ at once; the outbox flusher marks it enqueued later, off the request path.
    const bull = await agent.queues.queue('inspect').getJob(bullJobId({ jobId, run: 1, step: 'inspect' }));
    expect(bull?.data).toEqual({ jobId, run: 1, step: 'inspect' });
    const [event] = await eventRows('job_id = $1', [jobId]);
    expect(event).toMatchObject({ verdict: 'accepted', http_status: 202 });
  });

  it('records a federated uploader as name#zone, and does not take a remote namesake of the agent for the agent', async () => {
    const uploaderOfJob = async (res: { json: Record<string, unknown> }) =>
      (await agent.db.pool.query('SELECT a.uploader FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE j.id = $1', [res.json.job_id])).rows[0]?.uploader;
    const remote = await agent.postEvent(landedEvent(archivePath(), { size: 1, user_zone: 'partnerZone' }, 'kwan'));
    expect(remote.status).toBe(202);
    expect(await uploaderOfJob(remote)).toBe('kwan#partnerZone');
    const local = await agent.postEvent(landedEvent(archivePath(), { size: 1, user_zone: 'tempZone' }));
    expect(await uploaderOfJob(local)).toBe('alice');
    // The agent's account is rods of this zone; rods of another zone is a scientist like any other.
    const namesake = await agent.postEvent(landedEvent(archivePath(), { size: 1, user_zone: 'partnerZone' }, 'rods'));
    expect(namesake.status).toBe(202);
    expect(await uploaderOfJob(namesake)).toBe('rods#partnerZone');
  });

  it('refuses a signature made with an unknown secret with 401 and records the refusal', async () => {
    const body = landedEvent(archivePath(), { size: 1 });
    const id = `msg_${randomUUID()}`;
    const forged = await agent.postEvent(body, { id, secret: `whsec_${Buffer.from('another-secret-another-secret!!').toString('base64')}` });
    expect(forged.status).toBe(401);
    expect(forged.json.error).toBe('bad_signature');
    const rows = await eventRows('webhook_id = $1', [id]);
    expect(rows.map((r) => [r.verdict, r.reason?.split(':')[0]])).toEqual([['rejected', 'bad_signature']]);
  });

  it('refuses a body changed after signing (signature over the exact bytes)', async () => {
    const body = landedEvent(archivePath(), { size: 10 });
    const raw = JSON.stringify(body);
    const { signWebhook } = await import('../../../src/intake/webhook-signature.js');
    const headers = signWebhook(TEST_SECRET, `msg_${randomUUID()}`, new Date(), raw);
    const res = await fetch(`${agent.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw.replace('"size":10', '"size":11'),
    });
    expect(res.status).toBe(401);
  });

  it('refuses timestamps outside ±5 minutes and missing headers', async () => {
    const old = await agent.postEvent(landedEvent(archivePath()), { timestamp: new Date(Date.now() - 6 * 60_000) });
    expect(old.status).toBe(401);
    expect(old.json.error).toBe('timestamp_out_of_window');
    const future = await agent.postEvent(landedEvent(archivePath()), { timestamp: new Date(Date.now() + 6 * 60_000) });
    expect(future.status).toBe(401);
    const res = await fetch(`${agent.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('missing_headers');
  });

  it('accepts a signature made with a rotated-in secret alongside the old one', async () => {
    const newer = `whsec_${Buffer.from('the-newer-secret-after-rotation!').toString('base64')}`;
    const rotated = await startTestAgent({ label: 'rotation', env: { AGENT_WEBHOOK_SECRETS: `${TEST_SECRET} ${newer}` } });
    try {
      expect((await rotated.postEvent(landedEvent(archivePath(), { size: 1, checksum: 'c' }), { secret: newer })).status).toBe(202);
      expect((await rotated.postEvent(landedEvent(archivePath(), { size: 1, checksum: 'c' }))).status).toBe(202);
    } finally {
      await rotated.close();
    }
  });

  it('answers a replayed webhook id with 200 and does not make a second job', async () => {
    const id = `msg_${randomUUID()}`;
    const body = landedEvent(archivePath(), { size: 5, checksum: 'sha2:x' });
    const first = await agent.postEvent(body, { id });
    const again = await agent.postEvent(body, { id });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'replayed', job_id: first.json.job_id });
    const { rows } = await agent.db.pool.query('SELECT count(*)::int AS n FROM jobs WHERE id = $1', [first.json.job_id]);
    expect(rows[0].n).toBe(1);
  });

  it('remembers a webhook id once when its deliveries arrive at the same moment (new archive, and ignored)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [landedEvent(archivePath(), { size: 5, checksum: 'sha2:x' }), 'accepted'],
      [landedEvent('/tempZone/projects/y.zip'), 'ignored'],
    ];
    for (const [body, verdict] of cases) {
      const id = `msg_${randomUUID()}`;
      const answers = await Promise.all(Array.from({ length: 4 }, () => agent.postEvent(body, { id })));
      expect(answers.map((a) => a.status).every((s) => s === 200 || s === 202)).toBe(true);
      expect(answers.filter((a) => a.json.status === 'replayed')).toHaveLength(3);
      const rows = await eventRows('webhook_id = $1', [id]);
      expect(rows.map((r) => r.verdict).sort()).toEqual([verdict, 'replayed', 'replayed', 'replayed']);
    }
  });

  it('answers replayed, writing nothing, when a seen webhook id comes back for another archive', async () => {
    const id = `msg_${randomUUID()}`;
    const first = await agent.postEvent(landedEvent(archivePath(), { size: 5, checksum: 'sha2:x' }), { id });
    const otherPath = archivePath();
    const again = await agent.postEvent(landedEvent(otherPath, { size: 5, checksum: 'sha2:x' }), { id });
    expect(first.status).toBe(202);
    expect(again.json).toMatchObject({ status: 'replayed' });
    const { rows } = await agent.db.pool.query('SELECT count(*)::int AS n FROM archives WHERE logical_path = $1', [otherPath]);
    expect(rows[0].n).toBe(0);
  });

  it('does not remember the id of a refused request: the genuine delivery with that id is accepted', async () => {
    const id = `msg_${randomUUID()}`;
    const body = landedEvent(archivePath(), { size: 5, checksum: 'sha2:x' });
    const tampered = await agent.postEvent(body, { id, secret: `whsec_${Buffer.from('not-the-secret-at-all-0123456789').toString('base64')}` });
    expect(tampered.status).toBe(401);
    const genuine = await agent.postEvent(body, { id });
    expect(genuine.status).toBe(202);
    expect((await eventRows('webhook_id = $1', [id])).map((r) => r.verdict)).toEqual(['rejected', 'accepted']);
  });

  it('answers 413 for an oversized body and records it', async () => {
    const big = landedEvent(archivePath(), { checksum: 'x'.repeat(200) });
    const raw = JSON.stringify({ ...big, padding: 'y'.repeat(agent.config.http.bodyLimitBytes) });
    const id = `msg_${randomUUID()}`;
    const res = await agent.postEvent(big, { rawBody: raw, id });
    expect(res.status).toBe(413);
    expect((await eventRows('webhook_id = $1', [id])).map((r) => [r.verdict, r.http_status])).toEqual([['rejected', 413]]);
  });

  it('answers 400 naming the offending field for a body that breaks the schema, and for malformed JSON', async () => {
    const bad = landedEvent(archivePath());
    delete (bad.data as Record<string, unknown>).logical_path;
    const badId = `msg_${randomUUID()}`;
    const res = await agent.postEvent(bad, { id: badId });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('missing_field');
    expect(String(res.json.message)).toContain('logical_path');
    const malformedId = `msg_${randomUUID()}`;
    const malformed = await agent.postEvent(null, { rawBody: '{"type": ', id: malformedId });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toBe('malformed_json');
    // Each refusal recorded once, found by its own webhook id (other tests refuse events too).
    for (const [id, reason] of [[badId, /logical_path/], [malformedId, /^malformed_json/]] as const) {
      const recorded = await eventRows('webhook_id = $1', [id]);
      expect(recorded.map((r) => [r.verdict, r.http_status])).toEqual([['rejected', 400]]);
      expect(recorded[0]?.reason).toMatch(reason);
    }
  });

  it('ignores fields it does not know, at the top and in data, as docs/events.md promises senders', async () => {
    // A future rule that adds a field must not have every event dropped (issue 16, item 4).
    const res = await agent.postEvent({ ...landedEvent(archivePath(), { size: 1, checksum: 'sha2:u', added_later: 'x' }), surprise: 1 });
    expect(res.status).toBe(202);
    expect(res.json.job_id).toEqual(expect.any(String));
  });

  it('ignores with a reason: unwatched collections, non-archives, unknown types, other zones, the agent itself', async () => {
    // A name of this test's own, so that the count below sees only its events' archives.
    const x = `${randomName('x')}.zip`;
    const cases: [Record<string, unknown>, RegExp][] = [
      [landedEvent(`/tempZone/projects/${x}`), /not in a watched collection/],
      [landedEvent(`/tempZone/home2/${x}`), /not in a watched collection/],
      [landedEvent('/tempZone/home/alice/image.tiff'), /not an archive/],
      [landedEvent('/tempZone/home/alice/.zip'), /not an archive/],
      [{ ...landedEvent(`/tempZone/home/alice/${x}`), type: 'data_object.deleted' }, /unknown event type/],
      [{ ...landedEvent(`/tempZone/home/alice/${x}`), data: { ...(landedEvent(`/otherZone/home/alice/${x}`).data as object), zone: 'otherZone' } }, /zone otherZone/],
      [landedEvent(`/tempZone/home/alice/${x}`, {}, 'rods'), /agent's own account/],
    ];
    for (const [body, reason] of cases) {
      const res = await agent.postEvent(body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.json.status).toBe('ignored');
      expect(String(res.json.reason)).toMatch(reason);
    }
    const { rows } = await agent.db.pool.query("SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path LIKE '%/' || $1", [x]);
    expect(rows[0].n).toBe(0);
  });

  it('makes one job of several reports of one upload (put + close + one close per chunk)', async () => {
    const path = archivePath();
    const results = await Promise.all([
      agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:a', pep: 'pep_api_data_obj_put_post' })),
      agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:a', pep: 'pep_api_data_obj_close_post' })),
      agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:a', pep: 'pep_api_replica_close_post' })),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    const jobIds = new Set(results.map((r) => r.json.job_id));
    expect(jobIds.size).toBe(1);
  });

  it('treats a genuinely new version as a new job once the first has started', async () => {
    const path = archivePath();
    const first = await agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:a' }));
    await agent.db.pool.query("UPDATE jobs SET state = 'succeeded', started_at = now() WHERE id = $1", [first.json.job_id]);
    const same = await agent.postEvent(landedEvent(path, { size: 100, checksum: 'sha2:a' }));
    expect(same.json).toMatchObject({ status: 'duplicate', job_id: first.json.job_id });
    const changed = await agent.postEvent(landedEvent(path, { size: 200, checksum: 'sha2:b' }));
    expect(changed.status).toBe(202);
    expect(changed.json.job_id).not.toBe(first.json.job_id);
  });

  it('lets later reports update a job that has not started yet (newest facts win)', async () => {
    const path = archivePath();
    const first = await agent.postEvent(landedEvent(path, { size: 8, checksum: 'sha2:part' }));
    const later = await agent.postEvent(landedEvent(path, { size: 16, checksum: 'sha2:whole' }));
    expect(later.json).toMatchObject({ status: 'duplicate', job_id: first.json.job_id });
    const { rows } = await agent.db.pool.query('SELECT a.size, a.checksum FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE j.id = $1', [first.json.job_id]);
    expect(rows[0]).toEqual({ size: 16, checksum: 'sha2:whole' });
  });
});

describe('health', () => {
  it('answers /healthz and /readyz with PostgreSQL and Redis up', async () => {
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${agent.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgresql: true, redis: true } });
  });
});
