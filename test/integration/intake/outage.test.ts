import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Intake } from '../../../src/intake/accept-event.js';
import { createLogger } from '../../../src/logging/logger.js';
import { flushOutbox } from '../../../src/pipeline/outbox.js';
import { lifecycle } from '../../../src/store/index.js';
import { bullJobId } from '../../../src/pipeline/queues.js';
import { landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startPrivateRedis } from '../../support/private-redis.js';
import { waitFor } from '../../support/wait.js';

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let agent: TestAgent;

beforeAll(async () => {
  redis = await startPrivateRedis();
  agent = await startTestAgent({ label: 'outage', env: { AGENT_REDIS_URL: redis.url } });
});
afterAll(async () => {
  await agent?.close().catch(() => undefined);
  await redis?.stop();
});

describe('when Redis is unavailable', () => {
  it('answers 503 with Retry-After, records the refusal, and accepts the retried event once Redis is back', async () => {
    const body = landedEvent(`/tempZone/home/alice/${randomName('p')}.zip`, { size: 1, checksum: 'sha2:r' });
    await redis.stop();
    await waitFor('the agent to notice', async () => (await fetch(`${agent.url}/readyz`)).status === 503);
    const down = await agent.postEvent(body, { id: 'msg_retry_me' });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    const { rows } = await agent.db.pool.query("SELECT verdict, http_status FROM events WHERE webhook_id = 'msg_retry_me'");
    expect(rows).toEqual([{ verdict: 'rejected', http_status: 503 }]);

    await redis.start();
    await waitFor('readiness after recovery', async () => (await fetch(`${agent.url}/readyz`)).status === 200);
    // The rule's delay server retries the same event with the same webhook id: it must be accepted.
    const retried = await agent.postEvent(body, { id: 'msg_retry_me' });
    expect(retried.status).toBe(202);
    // What the IntakeUnavailable alert (deploy/prometheus/alerts.yml) counts.
    const answers = await agent.metrics.eventAnswers.get();
    expect(answers.values.find((v) => v.labels.status === '503')?.value).toBe(1);
    expect(answers.values.find((v) => v.labels.status === '202')?.value).toBe(1);
  });

  it('keeps a job committed before an enqueue failure in the outbox, and the flusher enqueues it later', async () => {
    await redis.stop();
    const path = `/tempZone/home/alice/${randomName('crash')}.zip`;
    // Straight into the intake (the route would answer 503 first): commit succeeds, enqueue fails.
    const intake = new Intake({ config: agent.config, pool: agent.db.pool, queues: agent.queues, irods: undefined, log: createLogger({ level: 'silent' }) });
    const outcome = await intake.accept(
      { webhookId: 'msg_outbox', headers: {}, rawBody: '{}', body: landedEvent(path, { size: 3, checksum: 'sha2:o' }) as never },
    );
    expect(outcome.httpStatus).toBe(202);
    const jobId = outcome.jobId as string;
    const before = await agent.db.pool.query('SELECT enqueued_at FROM jobs WHERE id = $1', [jobId]);
    expect(before.rows[0].enqueued_at).toBeNull();

    await redis.start();
    await agent.queues.waitUntilReady(10_000);
    const deps = { pool: agent.db.pool, queues: agent.queues, log: createLogger({ level: 'silent' }) };
    // The periodic flush waits for a job to be overdue (a healthy step starts and marks itself)…
    expect(await flushOutbox(deps)).toBe(0);
    expect(await agent.queues.queue('inspect').getJob(bullJobId({ jobId, run: 1, step: 'inspect' }))).toBeUndefined();
    // …the flush at the workers' start takes every unmarked job.
    const unmarked = await agent.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE enqueued_at IS NULL');
    const n = await flushOutbox(deps, { graceSeconds: 0 });
    expect(n).toBe(unmarked.rows[0]?.n);
    const after = await agent.db.pool.query('SELECT enqueued_at FROM jobs WHERE id = $1', [jobId]);
    expect(after.rows[0].enqueued_at).not.toBeNull();
    expect(await agent.queues.queue('inspect').getJob(bullJobId({ jobId, run: 1, step: 'inspect' }))).toBeDefined();
    // A second flush finds nothing left to do.
    expect(await flushOutbox(deps, { graceSeconds: 0 })).toBe(0);
  });

  it('leaves a healthy waiting job alone in the periodic flush, and finds it once it is overdue', async () => {
    const res = await agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('waiting')}.zip`, { size: 3, checksum: 'sha2:w' }));
    const jobId = res.json.job_id as string;
    const deps = { pool: agent.db.pool, queues: agent.queues, log: createLogger({ level: 'silent' }) };
    const state = async () => (await agent.db.pool.query('SELECT enqueued_at FROM jobs WHERE id = $1', [jobId])).rows[0].enqueued_at as Date | null;
    expect(await flushOutbox(deps)).toBe(0);
    expect(await state()).toBeNull();
    // As if its step had been due for longer than the grace without starting (a long backlog).
    await agent.db.pool.query("UPDATE jobs SET updated_at = now() - interval '1 hour', not_before = now() - interval '1 hour' WHERE id = $1", [jobId]);
    expect(await flushOutbox(deps)).toBe(1);
    expect(await state()).not.toBeNull();
    expect(await agent.queues.queue('inspect').getJob(bullJobId({ jobId, run: 1, step: 'inspect' }))).toBeDefined();
  });

  it('marks a job enqueued when its step starts (a worker got it from BullMQ), so no flush touches it', async () => {
    const res = await agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('started')}.zip`, { size: 3, checksum: 'sha2:s' }));
    const started = await lifecycle.startStep(agent.db.pool, { jobId: res.json.job_id as string, run: 1, step: 'inspect' });
    expect(started?.job.enqueued_at).not.toBeNull();
    await agent.db.pool.query("UPDATE jobs SET updated_at = now() - interval '1 hour' WHERE id = $1", [res.json.job_id]);
    expect(await flushOutbox({ pool: agent.db.pool, queues: agent.queues, log: createLogger({ level: 'silent' }) })).toBe(0);
  });
});
