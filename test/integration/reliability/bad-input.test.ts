import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../src/intake/webhook-signature.js';
import { TEST_SECRET, landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';

/**
 * Fault injection, issue 16 items 2–5: what a sender can put in a body is answered 4xx with a
 * reason code and recorded, never 500, and never makes a job it should not.
 */

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'bad_input' });
});
afterAll(async () => {
  await agent?.close();
});

const archivePath = (name = randomName('p')) => `/tempZone/home/alice/${name}.zip`;

async function recordedRefusal(webhookId: string): Promise<{ verdict: string; http_status: number; reason: string } | undefined> {
  const { rows } = await agent.db.pool.query('SELECT verdict, http_status, reason FROM events WHERE webhook_id = $1', [webhookId]);
  return rows[0] as { verdict: string; http_status: number; reason: string } | undefined;
}

async function jobsFor(path: string): Promise<number> {
  const { rows } = await agent.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = $1',
    [path],
  );
  return rows[0]?.n ?? 0;
}

/** Posts a signed body and expects a 400 with `code`, recorded as a rejected event with that reason. */
async function expectRefused(body: Record<string, unknown>, code: string, field: string): Promise<void> {
  const id = `msg_${randomUUID()}`;
  const res = await agent.postEvent(body, { id });
  expect(res.status, JSON.stringify(res.json)).toBe(400);
  expect(res.json).toMatchObject({ accepted: false, retryable: false, error: code });
  expect(String(res.json.message)).toContain(field);
  const recorded = await recordedRefusal(id);
  expect(recorded).toMatchObject({ verdict: 'rejected', http_status: 400 });
  expect(recorded?.reason.startsWith(`${code}: `)).toBe(true);
}

describe('strings no iRODS name or PostgreSQL text can hold', () => {
  it('refuses a NUL in logical_path, checksum or user with invalid_string, and records it', async () => {
    await expectRefused(landedEvent(archivePath('nul\u0000path'), { size: 1 }), 'invalid_string', 'data.logical_path');
    await expectRefused(landedEvent(archivePath(), { size: 1, checksum: 'sha2:\u0000' }), 'invalid_string', 'data.checksum');
    await expectRefused(landedEvent(archivePath(), { size: 1 }, 'ali\u0000ce'), 'invalid_string', 'data.user');
  });

  it('looks into fields it does not know, however deep, without failing', async () => {
    // Written as text: JSON.stringify itself gives up long before this depth.
    const event = JSON.stringify(landedEvent(archivePath(), { size: 1, checksum: 'sha2:d', future_field: 'DEEP' }));
    const rawBody = event.replace('"DEEP"', `${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`);
    const deep = await agent.postEvent(null, { rawBody });
    expect(deep.status, JSON.stringify(deep.json)).toBeLessThan(500);
    await expectRefused(landedEvent(archivePath(), { size: 1, future_field: { nested: ['fine', 'not\u0000fine'] } }), 'invalid_string', 'data.future_field.nested.1');
  });

  it('refuses a lone surrogate in the path (what surrogateescape makes of a non-UTF-8 name)', async () => {
    const path = archivePath('latin1-\ud800name');
    // JSON.stringify writes the lone surrogate as the escape \ud800, as Python's json.dumps does.
    expect(JSON.stringify(path)).toContain('\\ud800');
    await expectRefused(landedEvent(path, { size: 1 }), 'invalid_string', 'data.logical_path');
    await expectRefused(landedEvent(archivePath(), { size: 1, resource: 'demo\udc80Resc' }), 'invalid_string', 'data.resource');
  });
});

describe('numbers', () => {
  it('refuses sizes outside int64 and negative ones with out_of_range', async () => {
    await expectRefused(landedEvent(archivePath(), { size: 1e300 }), 'out_of_range', 'data.size');
    await expectRefused(landedEvent(archivePath(), { size: 2 ** 63 }), 'out_of_range', 'data.size');
    await expectRefused(landedEvent(archivePath(), { size: -1 }), 'out_of_range', 'data.size');
  });

  it('never coerces a string into a number: "12" is wrong_type', async () => {
    const path = archivePath();
    await expectRefused(landedEvent(path, { size: '12' }), 'wrong_type', 'data.size');
    expect(await jobsFor(path)).toBe(0);
  });

  it('still takes the largest sizes int64 holds', async () => {
    const res = await agent.postEvent(landedEvent(archivePath(), { size: 2 ** 62, checksum: 'sha2:big' }));
    expect(res.status).toBe(202);
  });
});

describe('logical paths', () => {
  it('refuses "." and ".." segments, empty segments and a trailing slash with non_canonical_path, making no job', async () => {
    const paths = [
      '/tempZone/home/../../etc/evil.zip',
      '/tempZone/home/./alice/evil.zip',
      '/tempZone/home//alice/evil.zip',
      '/tempZone/home/alice/evil.zip/',
      'tempZone/home/alice/evil.zip',
    ];
    for (const path of paths) {
      await expectRefused(landedEvent(path, { size: 1, checksum: 'sha2:e' }), 'non_canonical_path', 'data.logical_path');
      expect(await jobsFor(path)).toBe(0);
    }
    await expectRefused(
      landedEvent(archivePath(), { size: 1, source_logical_path: '/tempZone/home/alice/../bob/x.zip' }),
      'non_canonical_path',
      'data.source_logical_path',
    );
  });

  it('refuses a missing required field with missing_field', async () => {
    const body = landedEvent(archivePath());
    delete (body.data as Record<string, unknown>).user;
    await expectRefused(body, 'missing_field', 'data.user');
  });
});

describe('content types', () => {
  async function postAs(contentType: string | undefined): Promise<{ status: number; json: Record<string, unknown>; id: string }> {
    const id = `msg_${randomUUID()}`;
    const raw = JSON.stringify(landedEvent(archivePath(), { size: 1, checksum: 'sha2:c' }));
    const headers: Record<string, string> = { ...signWebhook(TEST_SECRET, id, new Date(), raw) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    // Bytes, not a string: fetch adds no Content-Type of its own to a Uint8Array body.
    const res = await fetch(`${agent.url}/v1/events`, { method: 'POST', headers, body: new TextEncoder().encode(raw) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, id };
  }

  it('refuses anything but application/json on the signed route with 415, and records it', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await postAs(type);
      expect(res.status, String(type)).toBe(415);
      expect(res.json).toMatchObject({ accepted: false, retryable: false, error: 'unsupported_media_type' });
      expect(await recordedRefusal(res.id)).toMatchObject({ verdict: 'rejected', http_status: 415 });
    }
  });

  it('takes application/json with a charset parameter', async () => {
    expect((await postAs('application/json; charset=utf-8')).status).toBe(202);
  });
});
