import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullJobId } from '../../../src/pipeline/queues.js';
import { audit } from '../../../src/store/index.js';
import * as stepRows from '../../../src/store/lifecycle/step-rows.js';
import { TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { waitFor } from '../../support/wait.js';

/**
 * The admin API over jobs without workers: jobs come from real events; where a test needs a job
 * in a finished state, it sets the state as a worker would have (the pipeline's own behaviour is
 * covered with real workers in replay.test.ts).
 */

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({ label: 'admin_jobs' });
});
afterAll(async () => {
  await agent?.close();
});

type Json = Record<string, unknown>;

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${agent.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.token ?? TEST_OPERATOR_TOKEN}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function newJob(path: string, user = 'alice', size = 100): Promise<string> {
  const res = await agent.postEvent(landedEvent(path, { size, checksum: `sha2:${randomUUID()}` }, user));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return res.json.job_id as string;
}

/** Puts a job where a worker would have left it. */
async function finish(jobId: string, state: 'failed' | 'succeeded' | 'cancelled', step: string, errorCode: string | null = null): Promise<void> {
  await agent.db.pool.query(
    `UPDATE jobs SET state = $2, step = $3, error_code = $4, error_message = $5, finished_at = now(), updated_at = now() WHERE id = $1`,
    [jobId, state, step, errorCode, errorCode ? `${errorCode} happened` : null],
  );
}

const ids = (json: Json) => (json.items as { id: string }[]).map((j) => j.id);

describe('GET /v1/jobs', () => {
  it('pages newest first with a stable cursor: no job twice, none missed, new arrivals do not shift later pages', async () => {
    const prefix = `/tempZone/home/alice/${randomName('paging')}`;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push(await newJob(`${prefix}/a${i}.zip`));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api(`/v1/jobs?path_prefix=${encodeURIComponent(`${prefix}/`)}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: TEST_READER_TOKEN });
      expect(res.status).toBe(200);
      seen.push(...ids(res.json));
      cursor = res.json.next_cursor as string | null;
      if (pages === 0) await newJob(`${prefix}/late.zip`);
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by state, step, error code, path prefix, uploader, time window and stuck', async () => {
    const base = `/tempZone/home/${randomName('filters')}`;
    const failed = await newJob(`${base}/lab/failed.zip`, 'carol');
    const succeeded = await newJob(`${base}/lab/ok.zip`, 'carol');
    const other = await newJob(`${base}/other/x.zip`, 'dave');
    const stuck = await newJob(`${base}/lab/stuck.zip`, 'dave');
    await finish(failed, 'failed', 'expand', 'target_exists');
    await finish(succeeded, 'succeeded', 'finalize');
    await agent.db.pool.query(`UPDATE jobs SET state = 'running', step = 'expand', updated_at = now() - interval '3 hours', not_before = NULL WHERE id = $1`, [stuck]);
    const q = (query: string) => api(`/v1/jobs?path_prefix=${encodeURIComponent(base)}&${query}`, { token: TEST_READER_TOKEN });

    expect(ids((await q('state=failed')).json)).toEqual([failed]);
    expect(ids((await q('state=failed,succeeded')).json).sort()).toEqual([failed, succeeded].sort());
    expect(ids((await q('step=expand')).json).sort()).toEqual([failed, stuck].sort());
    expect(ids((await q('error_code=target_exists')).json)).toEqual([failed]);
    expect(ids((await q('user=carol')).json).sort()).toEqual([failed, succeeded].sort());
    expect(ids((await api(`/v1/jobs?path_prefix=${encodeURIComponent(`${base}/other/`)}`)).json)).toEqual([other]);
    const stuckRes = await q('stuck=true');
    expect(ids(stuckRes.json)).toEqual([stuck]);
    expect((stuckRes.json.items as { stuck: boolean }[])[0]?.stuck).toBe(true);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    expect(ids((await q(`until=${hourAgo}`)).json)).toEqual([stuck]);
    expect(ids((await q(`since=${hourAgo}`)).json).sort()).toEqual([failed, succeeded, other].sort());
    expect((await q('state=bogus')).status).toBe(400);
    expect((await q('colour=blue')).status).toBe(400);
  });

  it('shows one job with its archive, error, steps, events and the admin actions taken on it', async () => {
    const path = `/tempZone/home/alice/${randomName('detail')}.zip`;
    const jobId = await newJob(path);
    await stepRows.startStepAttempt(agent.db.pool, jobId, 1, 'inspect');
    await stepRows.finishStep(agent.db.pool, jobId, 1, 'inspect', { state: 'succeeded', detail: { format: 'zip', files: 3 } });
    await stepRows.startStepAttempt(agent.db.pool, jobId, 1, 'expand');
    await stepRows.finishStep(agent.db.pool, jobId, 1, 'expand', { state: 'failed', errorCode: 'irods_error', errorMessage: 'iRODS refused', detail: { entry: 'a/b.tif' } });
    await agent.db.pool.query(
      `UPDATE jobs SET state = 'failed', step = 'expand', error_code = 'irods_error', error_message = 'iRODS refused', error_entry = 'a/b.tif', irods_status = -818000, progress = '{"entriesDone": 1, "entriesTotal": 3, "bytesDone": 10, "bytesTotal": 30}' WHERE id = $1`,
      [jobId],
    );
    await agent.db.pool.query(`INSERT INTO audit (job_id, action, lpath) SELECT $1, 'write', $2 || '/f' || g FROM generate_series(1, 5) AS g`, [jobId, path]);
    const res = await api(`/v1/jobs/${jobId}?audit_limit=2`, { token: TEST_READER_TOKEN });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: jobId,
      state: 'failed',
      step: 'expand',
      archive: { path, uploader: 'alice', size: 100 },
      error: { code: 'irods_error', message: 'iRODS refused', entry: 'a/b.tif', irods_status: -818000 },
      progress: { entries_done: 1, entries_total: 3, bytes_done: 10, bytes_total: 30 },
    });
    const steps = res.json.steps as { step: string; state: string; attempts: number; detail: Json; error: Json | null; seconds: number | null }[];
    expect(steps.map((s) => [s.step, s.state, s.attempts])).toEqual([
      ['inspect', 'succeeded', 1],
      ['expand', 'failed', 1],
    ]);
    expect(steps[0]?.detail).toEqual({ format: 'zip', files: 3 });
    expect(steps[1]?.error).toEqual({ code: 'irods_error', message: 'iRODS refused' });
    expect(typeof steps[0]?.seconds).toBe('number');
    expect((res.json.events as { verdict: string }[]).map((e) => e.verdict)).toEqual(['accepted']);
    const audit = res.json.audit as { total: number; items: { lpath: string }[]; next_cursor: string };
    expect(audit.total).toBe(5);
    expect(audit.items.map((a) => a.lpath)).toEqual([`${path}/f1`, `${path}/f2`]);
    const rest = await api(`/v1/jobs/${jobId}/audit?cursor=${audit.next_cursor}`, { token: TEST_READER_TOKEN });
    expect((rest.json.items as { lpath: string }[]).map((a) => a.lpath)).toEqual([`${path}/f3`, `${path}/f4`, `${path}/f5`]);
    expect(rest.json.next_cursor).toBeNull();

    expect((await api(`/v1/jobs/${jobId}/replay`, { method: 'POST' })).status).toBe(202);
    const after = await api(`/v1/jobs/${jobId}`, { token: TEST_READER_TOKEN });
    expect(after.json).toMatchObject({ state: 'queued', step: 'expand', run: 2, error: null });
    expect((after.json.admin_actions as { action: string; detail: Json }[])[0]).toMatchObject({
      action: 'replay',
      detail: { from: 'expand', run: 2, previous_state: 'failed', previous_error: 'irods_error' },
    });
  });
});

describe('job ids by their first characters', () => {
  it('lists the jobs whose id starts with a prefix, with or without its dashes', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('prefix')}.zip`);
    for (const prefix of [jobId.slice(0, 8), jobId.slice(0, 13), jobId.slice(0, 13).replace('-', '')]) {
      const res = await api(`/v1/jobs?id_prefix=${prefix}`, { token: TEST_READER_TOKEN });
      expect(ids(res.json), prefix).toEqual([jobId]);
    }
    const other = jobId.startsWith('0') ? 'ffffffff' : '00000000';
    expect(ids((await api(`/v1/jobs?id_prefix=${other}0000`, { token: TEST_READER_TOKEN })).json)).not.toContain(jobId);
    expect((await api('/v1/jobs?id_prefix=3f2c', { token: TEST_READER_TOKEN })).status).toBe(400);
  });
});

describe('where each step attempt ran', () => {
  it('names the host and process of every attempt, a retried one included, and of every change in the audit trail', async () => {
    const path = `/tempZone/home/alice/${randomName('workers')}.zip`;
    const jobId = await newJob(path);
    const first = { host: 'worker-a.example.org', pid: 4101 };
    const second = { host: 'worker-b.example.org', pid: 5202 };
    await stepRows.startStepAttempt(agent.db.pool, jobId, 1, 'expand', first);
    await audit.recordAudit(agent.db.pool, jobId, 'create_collection', `${path.slice(0, -4)}`, {}, first);
    // A retryable failure leaves the step running; BullMQ tries again, here on another host.
    await stepRows.finishStep(agent.db.pool, jobId, 1, 'expand', { state: 'running', errorCode: 'irods_unavailable', errorMessage: 'no answer' });
    await stepRows.startStepAttempt(agent.db.pool, jobId, 1, 'expand', second);
    await audit.recordAuditBatch(agent.db.pool, jobId, [{ action: 'write', lpath: `${path.slice(0, -4)}/a.tif` }], second);
    await stepRows.finishStep(agent.db.pool, jobId, 1, 'expand', { state: 'succeeded' });

    const res = await api(`/v1/jobs/${jobId}`, { token: TEST_READER_TOKEN });
    const [expand] = res.json.steps as { step: string; attempts: number; worker: Json; attempt_history: Json[] }[];
    expect(expand).toMatchObject({ step: 'expand', attempts: 2, worker: second });
    expect(expand?.attempt_history).toMatchObject([
      { attempt: 1, worker: first, state: 'retried', error_code: 'irods_unavailable' },
      { attempt: 2, worker: second, state: 'succeeded', error_code: null },
    ]);
    expect((res.json.audit as { items: { action: string; worker: Json }[] }).items.map((a) => [a.action, a.worker])).toEqual([
      ['create_collection', first],
      ['write', second],
    ]);
  });

  it('defaults to this process: a worker records itself', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('self')}.zip`);
    await stepRows.startStepAttempt(agent.db.pool, jobId, 1, 'inspect');
    const res = await api(`/v1/jobs/${jobId}`, { token: TEST_READER_TOKEN });
    expect((res.json.steps as { worker: Json }[])[0]?.worker).toEqual({ host: hostname(), pid: process.pid });
  });
});

describe('replay', () => {
  it('starts a new run from the failed step: a fresh BullMQ job, the error cleared', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('replay')}.zip`);
    await finish(jobId, 'failed', 'expand', 'target_exists');
    const res = await api(`/v1/jobs/${jobId}/replay`, { method: 'POST', body: {} });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ job_id: jobId, from: 'expand', previous_state: 'failed', previous_step: 'expand', error_code: 'target_exists' });
    const { rows } = await agent.db.pool.query('SELECT state, step, run, error_code, enqueued_at FROM jobs WHERE id = $1', [jobId]);
    expect(rows[0]).toMatchObject({ state: 'queued', step: 'expand', run: 2, error_code: null });
    expect(rows[0].enqueued_at).not.toBeNull();
    const bull = await agent.queues.queue('expand').getJob(bullJobId({ jobId, run: 2, step: 'expand' }));
    expect(bull?.data).toEqual({ jobId, run: 2, step: 'expand' });
  });

  it('starts a succeeded job from the first step, or from a named one', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('again')}.zip`);
    await finish(jobId, 'succeeded', 'finalize');
    expect((await api(`/v1/jobs/${jobId}/replay`, { method: 'POST' })).json.from).toBe('inspect');
    await finish(jobId, 'succeeded', 'finalize');
    expect((await api(`/v1/jobs/${jobId}/replay`, { method: 'POST', body: { from: 'expand' } })).json.from).toBe('expand');
  });

  it('refuses with a reason: 409 for a queued job or a superseded version, 400 for a step it cannot start at, 404 for no job', async () => {
    const path = `/tempZone/home/alice/${randomName('refuse')}.zip`;
    const queued = await newJob(path);
    const notYet = await api(`/v1/jobs/${queued}/replay`, { method: 'POST' });
    expect(notYet).toMatchObject({ status: 409, json: { error: 'not_replayable' } });

    await finish(queued, 'failed', 'expand', 'irods_error');
    expect((await api(`/v1/jobs/${queued}/replay`, { method: 'POST', body: { from: 'finalize' } })).json.error).toBe('step_after_stop');
    expect((await api(`/v1/jobs/${queued}/replay`, { method: 'POST', body: { from: 'omero' } })).json.error).toBe('step_disabled');
    expect((await api(`/v1/jobs/${queued}/replay`, { method: 'POST', body: { from: 'nowhere' } })).status).toBe(400);

    const newer = await newJob(path, 'alice', 999);
    const superseded = await api(`/v1/jobs/${queued}/replay`, { method: 'POST' });
    expect(superseded.status).toBe(409);
    expect(superseded.json.error).toBe('superseded');
    expect(String(superseded.json.message)).toContain(newer);

    expect((await api(`/v1/jobs/${randomUUID()}/replay`, { method: 'POST' })).status).toBe(404);
  });

  it('bulk: a dry run answers what it would replay and changes nothing; the real run replays them, bounded by limit', async () => {
    const prefix = `/tempZone/home/alice/${randomName('bulk')}/`;
    const failed = [await newJob(`${prefix}a.zip`), await newJob(`${prefix}b.zip`), await newJob(`${prefix}c.zip`)];
    for (const id of failed) await finish(id, 'failed', 'expand', 'target_exists');
    const ok = await newJob(`${prefix}ok.zip`);
    await finish(ok, 'succeeded', 'finalize');

    const dry = await api('/v1/jobs/replay', { method: 'POST', body: { path_prefix: prefix, dry_run: true } });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dry_run: true, matched: 3, truncated: false, refused: [] });
    expect((dry.json.replayed as { job_id: string; from: string }[]).map((r) => r.job_id).sort()).toEqual([...failed].sort());
    const untouched = await agent.db.pool.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'failed' AND run = 1`, [failed]);
    expect(untouched.rows[0].n).toBe(3);

    const first = await api('/v1/jobs/replay', { method: 'POST', body: { path_prefix: prefix, limit: 2 } });
    expect(first.json).toMatchObject({ dry_run: false, matched: 3, limit: 2, truncated: true });
    expect(first.json.replayed).toHaveLength(2);
    const rest = await api('/v1/jobs/replay', { method: 'POST', body: { path_prefix: prefix, limit: 2 } });
    expect(rest.json).toMatchObject({ matched: 1, truncated: false });
    const { rows } = await agent.db.pool.query('SELECT state, run FROM jobs WHERE id = ANY($1)', [failed]);
    expect(rows.every((r) => r.state === 'queued' && r.run === 2)).toBe(true);
    const okRow = await agent.db.pool.query('SELECT state, run FROM jobs WHERE id = $1', [ok]);
    expect(okRow.rows[0]).toEqual({ state: 'succeeded', run: 1 });
    const none = await api('/v1/jobs/replay', { method: 'POST', body: { path_prefix: prefix } });
    expect(none.json).toMatchObject({ matched: 0, replayed: [] });
    expect((await api('/v1/jobs/replay', { method: 'POST', body: { state: 'queued' } })).status).toBe(400);
  });
});

describe('cancel', () => {
  it('cancels a queued job at once and removes its waiting BullMQ job', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('cancel')}.zip`);
    const bullId = bullJobId({ jobId, run: 1, step: 'inspect' });
    expect(await agent.queues.queue('inspect').getJob(bullId)).toBeDefined();
    const res = await api(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(res).toMatchObject({ status: 200, json: { job_id: jobId, outcome: 'cancelled', state: 'cancelled', step: 'inspect' } });
    expect(await agent.queues.queue('inspect').getJob(bullId)).toBeUndefined();
    const { rows } = await agent.db.pool.query('SELECT state, cancel_requested, finished_at FROM jobs WHERE id = $1', [jobId]);
    expect(rows[0]).toMatchObject({ state: 'cancelled', cancel_requested: true });
    expect(rows[0].finished_at).not.toBeNull();
    const again = await api(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(again).toMatchObject({ status: 409, json: { error: 'not_cancellable' } });
    expect((await api(`/v1/jobs/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('cancels a job that waits in the outbox (never reached Redis), so it is never enqueued', async () => {
    const jobId = await newJob(`/tempZone/home/alice/${randomName('outbox')}.zip`);
    await agent.queues.queue('inspect').remove(bullJobId({ jobId, run: 1, step: 'inspect' }));
    await agent.db.pool.query('UPDATE jobs SET enqueued_at = NULL WHERE id = $1', [jobId]);
    expect((await api(`/v1/jobs/${jobId}/cancel`, { method: 'POST' })).json.outcome).toBe('cancelled');
    const { flushOutbox } = await import('../../../src/pipeline/outbox.js');
    const { createLogger } = await import('../../../src/logging/logger.js');
    await flushOutbox({ pool: agent.db.pool, queues: agent.queues, log: createLogger({ level: 'silent' }) });
    expect(await agent.queues.queue('inspect').getJob(bullJobId({ jobId, run: 1, step: 'inspect' }))).toBeUndefined();
  });
});

describe('GET /v1/archives (the feed)', () => {
  it('hands out each state change once, in order, with the step details, and never skips one committed late', async () => {
    // Only what changes from now on (earlier tests' jobs are not this test's business).
    const since = encodeURIComponent(((await agent.db.pool.query<{ t: Date }>('SELECT now() AS t')).rows[0] as { t: Date }).t.toISOString());
    let cursor: string | null = null;
    const poll = async () => {
      const res = await api(`/v1/archives?state=succeeded&since=${since}${cursor ? `&cursor=${cursor}` : ''}`, { token: TEST_READER_TOKEN });
      expect(res.status).toBe(200);
      cursor = res.json.next_cursor as string | null;
      return res.json.items as { job_id: string; state: string; target_path: string | null; steps: Record<string, { detail: Json }> }[];
    };
    expect(await poll()).toEqual([]);
    // Transaction ids are cluster-wide: another test's open transaction can hold items back for a
    // moment (never reorder or drop them), so collect by polling until the expected count arrives.
    const collect = (n: number) =>
      waitFor(`${n} feed item(s)`, async () => {
        collected.push(...(await poll()));
        return collected.length >= n ? collected.splice(0) : undefined;
      });
    const collected: Awaited<ReturnType<typeof poll>> = [];

    const [a, b, c, d] = [
      await newJob(`/tempZone/home/alice/${randomName('feed')}.zip`),
      await newJob(`/tempZone/home/alice/${randomName('feed')}.zip`),
      await newJob(`/tempZone/home/alice/${randomName('feed')}.zip`),
      await newJob(`/tempZone/home/alice/${randomName('feed')}.zip`),
    ] as [string, string, string, string];
    await stepRows.startStepAttempt(agent.db.pool, a, 1, 'metadata');
    await stepRows.finishStep(agent.db.pool, a, 1, 'metadata', { state: 'succeeded', detail: { images: 3, projects: 1 } });
    await agent.db.pool.query(`UPDATE jobs SET target_path = '/tempZone/home/alice/x' WHERE id = $1`, [a]);
    await finish(a, 'succeeded', 'finalize');
    const first = await collect(1);
    expect(first.map((i) => i.job_id)).toEqual([a]);
    expect(first[0]).toMatchObject({ state: 'succeeded', target_path: '/tempZone/home/alice/x', steps: { metadata: { detail: { images: 3, projects: 1 } } } });
    expect(await poll()).toEqual([]);

    // B's transaction starts first but commits last: the feed must not hand out C and move past B.
    const slow = await agent.db.pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`UPDATE jobs SET state = 'succeeded', step = 'finalize', updated_at = now() WHERE id = $1`, [b]);
      await finish(c, 'succeeded', 'finalize');
      expect(await poll()).toEqual([]);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    expect((await collect(2)).map((i) => i.job_id)).toEqual([b, c]);
    await finish(d, 'failed', 'expand', 'irods_error');
    expect(await poll()).toEqual([]);
    // Polled like the rest: another test file's open transaction may hold D back for a moment.
    const failedSince = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    await waitFor('D in the failed feed', async () => {
      const failedFeed = await api(`/v1/archives?state=failed&since=${failedSince}`, { token: TEST_READER_TOKEN });
      return (failedFeed.json.items as { job_id: string }[]).some((i) => i.job_id === d) || undefined;
    });
  });

  it('refuses a cursor it did not hand out', async () => {
    const res = await api('/v1/archives?cursor=eyJ2IjoxLCJ4IjoieCJ9', { token: TEST_READER_TOKEN });
    expect(res).toMatchObject({ status: 400, json: { error: 'invalid_cursor' } });
  });
});
