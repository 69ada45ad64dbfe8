import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip, removeTempArchives } from '../../support/archives/index.js';
import { TEST_OPERATOR_TOKEN, landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { Gate } from '../../support/wait.js';
import type { IrodsClient } from '../../../src/irods/types.js';

/** Replay and cancel against real workers, the real steps and the iRODS stand-in. */

/** How often the expand step looks for a cancel at most (src/pipeline/steps/expand.ts, CANCEL_CHECK_MS). */
const CANCEL_CHECK_MS = 500;

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

/**
 * Holds the agent's file writes from the (after + 1)-th on until the test releases them, so that a
 * cancel arrives while the expansion is certainly under way, however fast or loaded the machine.
 */
class WriteHold {
  private writes = 0;
  /** Opens when the first write is held: the expansion is running and cannot finish. */
  readonly reached = new Gate();
  private readonly released = new Gate();

  constructor(private readonly after: number) {}

  async pass(): Promise<void> {
    if (++this.writes <= this.after) return;
    this.reached.open();
    await this.released.wait(120_000);
  }

  release(): void {
    this.released.open();
  }
}
let writeHold: WriteHold | undefined;

/** The agent's client, whose single-request file writes pass through writeHold when one is set. */
function holdable(client: IrodsClient): IrodsClient {
  const dataObjects = new Proxy(client.dataObjects, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== 'writeChunk' || typeof value !== 'function') return value;
      return async (...args: unknown[]): Promise<unknown> => {
        await writeHold?.pass();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return new Proxy(client, { get: (target, prop, receiver) => (prop === 'dataObjects' ? dataObjects : Reflect.get(target, prop, receiver)) });
}

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'admin_replay', irods: holdable(irods.client), workers: true, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

type Json = Record<string, unknown>;

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${agent.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Uploads as alice and sends the event the rules would; returns the archive path and the job id. */
async function land(localPath: string, name: string): Promise<{ lpath: string; target: string; jobId: string }> {
  const lpath = `/tempZone/home/alice/${name}.zip`;
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return { lpath, target: lpath.slice(0, -'.zip'.length), jobId: res.json.job_id as string };
}

describe('replay of a failed job', () => {
  it('fails on an existing target, shows why, and succeeds when replayed after the cause is removed', async () => {
    const name = randomName('conflict');
    await alice.client.collections.create(`/tempZone/home/alice/${name}`);
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_image.zip`, name);
    const failed = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(failed.error_code).toBe('target_exists');

    const shown = await api(`/v1/jobs/${jobId}`);
    expect(shown.json).toMatchObject({ state: 'failed', step: 'inspect', error: { code: 'target_exists' } });
    expect(String((shown.json.error as Json).message)).toContain(target);
    expect((shown.json.steps as Json[]).find((s) => s.step === 'inspect')).toMatchObject({ state: 'failed', attempts: 1 });
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['failed']);

    // A replay while the cause is still there fails the same way: nothing is overwritten.
    expect((await api(`/v1/jobs/${jobId}/replay`, { method: 'POST' })).status).toBe(202);
    const again = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(again).toMatchObject({ run: 2, error_code: 'target_exists' });

    await alice.client.collections.remove(target, { recurse: true, noTrash: true });
    const replay = await api(`/v1/jobs/${jobId}/replay`, { method: 'POST' });
    expect(replay).toMatchObject({ status: 202, json: { from: 'inspect', previous_state: 'failed', error_code: 'target_exists' } });
    const done = await waitForJob(agent.db.pool, jobId, ['succeeded']);
    expect(done).toMatchObject({ run: 3, target_path: target, error_code: null });
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['expanded']);
    const detail = await api(`/v1/jobs/${jobId}`);
    // Every step of the new run, whichever steps this agent runs, from inspect to finalize.
    const run3 = (detail.json.steps as Json[]).filter((s) => s.run === 3);
    expect(run3.map((s) => s.step)).toEqual(expect.arrayContaining(['inspect', 'expand', 'finalize']));
    expect([run3[0]?.step, run3[run3.length - 1]?.step]).toEqual(['inspect', 'finalize']);
    expect(run3.every((s) => s.state === 'succeeded' || s.state === 'skipped')).toBe(true);
    expect((detail.json.admin_actions as Json[]).map((a) => a.action)).toEqual(['replay', 'replay']);
    expect((detail.json.audit as { total: number }).total).toBeGreaterThan(0);
  });

  it('bulk: a dry run lists the failed jobs and changes nothing; the replay then brings them all through', async () => {
    const names = [randomName('bulk'), randomName('bulk')];
    for (const n of names) await alice.client.collections.create(`/tempZone/home/alice/${n}`);
    const landed = [];
    for (const n of names) landed.push(await land(`${FIXTURES}valid_single_dataset.zip`, n));
    for (const l of landed) await waitForJob(agent.db.pool, l.jobId, ['failed']);
    const filter = { error_code: 'target_exists', since: new Date(Date.now() - 600_000).toISOString(), user: 'alice' };

    const dry = await api('/v1/jobs/replay', { method: 'POST', body: { ...filter, dry_run: true } });
    const dryIds = (dry.json.replayed as { job_id: string }[]).map((r) => r.job_id);
    for (const l of landed) expect(dryIds).toContain(l.jobId);
    const { rows } = await agent.db.pool.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND state = 'failed'`, [landed.map((l) => l.jobId)]);
    expect(rows[0].n).toBe(2);

    for (const l of landed) await alice.client.collections.remove(l.target, { recurse: true, noTrash: true });
    const real = await api('/v1/jobs/replay', { method: 'POST', body: filter });
    expect(real.status).toBe(200);
    expect((real.json.replayed as { job_id: string }[]).map((r) => r.job_id).sort()).toEqual(expect.arrayContaining(landed.map((l) => l.jobId)));
    for (const l of landed) expect((await waitForJob(agent.db.pool, l.jobId, ['succeeded'])).run).toBe(2);
  });
});

describe('cancel', () => {
  it('stops a running expansion at an entry boundary, records it, and a replay finishes the job', async () => {
    // Hundreds of small entries, each written in one request: the writes from the 21st on are held.
    const entries = Array.from({ length: 600 }, (_, i) => ({ name: `images/part-${String(i).padStart(5, '0')}.bin`, data: randomBytes(1024), compress: false }));
    const zip = await buildZip(entries);
    writeHold = new WriteHold(20);
    const { lpath, target, jobId } = await land(zip, randomName('big'));
    expect(await writeHold.reached.wait(60_000), 'the expansion to reach its 21st write').toBe(true);
    const cancel = await api(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(cancel).toMatchObject({ status: 202, json: { outcome: 'cancel_requested', state: 'running', step: 'expand' } });
    // The step looks for a cancel at entry boundaries, at most once per CANCEL_CHECK_MS: a look
    // after the request sees it, and a look before it is followed by another once that much time
    // has passed. Held that long after the request, the step's next entry is sure to look. A floor
    // from the step's contract (longer is as good), not a guess at how fast the machine is.
    await delay(CANCEL_CHECK_MS);
    writeHold.release();

    const cancelled = await waitForJob(agent.db.pool, jobId, ['cancelled']);
    writeHold = undefined;
    expect(cancelled.step).toBe('expand');
    const detail = await api(`/v1/jobs/${jobId}`);
    const progress = detail.json.progress as { entries_done: number; entries_total: number };
    expect(progress.entries_total).toBe(entries.length);
    expect(progress.entries_done).toBeLessThan(entries.length);
    expect((detail.json.steps as Json[]).find((s) => s.step === 'expand')).toMatchObject({ state: 'cancelled' });
    expect((detail.json.admin_actions as Json[]).map((a) => a.action)).toEqual(['cancel']);
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['cancelled']);
    const written = (await irods.client.collections.list(`${target}/images`)).length;
    expect(written).toBeLessThan(entries.length);

    // The partial result is this job's own: a replay resumes it and completes the tree.
    expect((await api(`/v1/jobs/${jobId}/replay`, { method: 'POST' })).json.from).toBe('expand');
    await waitForJob(agent.db.pool, jobId, ['succeeded'], 120_000);
    expect((await irods.client.collections.list(`${target}/images`)).length).toBe(entries.length);
  });
});
