import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycle, type JobRow } from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { failsUnderFault, jobAt, snapshot, startedJob } from '../../support/job-rows.js';

/**
 * The lifecycle's transitions outside a step attempt, against PostgreSQL: cancel, replay, the
 * outbox, the sweeper's, the archive status bookkeeping, the intake's and a step's own records.
 * Each refuses from the wrong state without changing a row, and its paired writes land together.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('lifecycle_admin');
});
afterAll(async () => {
  await db?.drop();
});

describe('cancelling', () => {
  it('raises the flag on a running job and records who asked, together', async () => {
    const job = await jobAt(db.pool, { state: 'running', step: 'expand' });
    const request = await lifecycle.requestCancel(db.pool, job.id, 'operator:abc');
    expect(request).toMatchObject({ outcome: 'requested', job: { state: 'running', cancel_requested: true } });
    expect((await snapshot(db.pool, job.id)).adminActions).toMatchObject([{ action: 'cancel', actor: 'operator:abc', detail: { state: 'running', step: 'expand', run: 1 } }]);
  });

  it('refuses a finished job, or none, and changes nothing', async () => {
    const job = await jobAt(db.pool, { state: 'succeeded', step: 'finalize' });
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.requestCancel(db.pool, job.id, 'operator:abc')).toEqual({ outcome: 'not_cancellable', state: 'succeeded' });
    expect(await lifecycle.requestCancel(db.pool, '00000000-0000-0000-0000-000000000000', 'operator:abc')).toEqual({ outcome: 'not_found' });
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('raises no flag when the request cannot be recorded', async () => {
    const job = await jobAt(db.pool);
    const before = await snapshot(db.pool, job.id);
    await failsUnderFault(db.pool, 'admin_actions', 'INSERT', () => lifecycle.requestCancel(db.pool, job.id, 'operator:abc'));
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('cancels the job at its step with the step row, remembering what the archive shows', async () => {
    const at = await startedJob(db.pool);
    const cancelled = await lifecycle.cancelAtStep(db.pool, at, { archiveShows: true });
    expect(cancelled).toMatchObject({ state: 'cancelled', archive_status: 'cancelled' });
    expect(cancelled?.finished_at).not.toBeNull();
    expect((await snapshot(db.pool, at.jobId)).steps).toMatchObject([{ state: 'cancelled' }]);
  });

  it('refuses to cancel a job that moved to another step, and changes nothing', async () => {
    const job = await jobAt(db.pool, { state: 'running', step: 'expand' });
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.cancelAtStep(db.pool, { jobId: job.id, run: 1, step: 'inspect' }, { archiveShows: false })).toBeUndefined();
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('leaves the job running when its step row cannot be written', async () => {
    const at = await startedJob(db.pool);
    const before = await snapshot(db.pool, at.jobId);
    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.cancelAtStep(db.pool, at, { archiveShows: false }));
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });
});

describe('restartJob (replay)', () => {
  async function failedAtExpand(): Promise<JobRow> {
    const job = await jobAt(db.pool, { state: 'running', step: 'expand' });
    await db.pool.query(
      "UPDATE jobs SET state = 'failed', error_code = 'irods_error', cancel_requested = true, archive_status = 'failed', not_before = now(), finished_at = now() WHERE id = $1",
      [job.id],
    );
    return job;
  }

  it('starts a new run at the step, in the outbox, with the error, the flag, the debounce and the archive status cleared', async () => {
    const job = await failedAtExpand();
    const restarted = await lifecycle.restartJob(db.pool, job.id, 'expand', { actor: 'operator:abc', detail: { bulk: true } });
    expect(restarted?.job).toMatchObject({
      state: 'queued',
      step: 'expand',
      run: 2,
      error_code: null,
      cancel_requested: false,
      archive_status: null,
      not_before: null,
      enqueued_at: null,
      finished_at: null,
    });
    expect(restarted?.previous).toMatchObject({ state: 'failed', run: 1 });
    expect((await snapshot(db.pool, job.id)).adminActions).toMatchObject([
      { action: 'replay', actor: 'operator:abc', detail: { bulk: true, from: 'expand', run: 2, previous_state: 'failed', previous_step: 'expand', previous_error: 'irods_error' } },
    ]);
  });

  it('refuses a job that is not finished, and changes nothing', async () => {
    const job = await jobAt(db.pool, { state: 'running', step: 'metadata' });
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.restartJob(db.pool, job.id, 'inspect', { actor: 'operator:abc', detail: {} })).toBeUndefined();
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('leaves the job failed when the request cannot be recorded', async () => {
    const job = await failedAtExpand();
    const before = await snapshot(db.pool, job.id);
    await failsUnderFault(db.pool, 'admin_actions', 'INSERT', () => lifecycle.restartJob(db.pool, job.id, 'expand', { actor: 'operator:abc', detail: {} }));
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });
});

describe('the outbox', () => {
  it('marks a job enqueued at its run and step, and not at another, without counting it as a change', async () => {
    const job = await jobAt(db.pool);
    await lifecycle.markEnqueued(db.pool, { jobId: job.id, run: 1, step: 'expand' });
    expect((await snapshot(db.pool, job.id)).job).toMatchObject({ enqueued_at: null, updated_at: job.updated_at });
    await lifecycle.markEnqueued(db.pool, { jobId: job.id, run: 1, step: 'inspect' });
    const after = (await snapshot(db.pool, job.id)).job;
    expect(after.enqueued_at).not.toBeNull();
    expect(after.updated_at).toEqual(job.updated_at);
  });

  it('marks only what was sent, and nothing of a batch whose sending failed midway', async () => {
    const first = await jobAt(db.pool);
    const second = await jobAt(db.pool);
    const mine = new Set([first.id, second.id]);
    const sent: string[] = [];
    await expect(
      lifecycle.drainOutbox(db.pool, { limit: 1000, graceSeconds: 0 }, async (job) => {
        if (!mine.has(job.id)) return false;
        if (sent.length === 1) throw new Error('Redis went away');
        sent.push(job.id);
        return true;
      }),
    ).rejects.toThrow(/Redis went away/);
    for (const id of mine) expect((await snapshot(db.pool, id)).job.enqueued_at).toBeNull();

    const taken = await lifecycle.drainOutbox(db.pool, { limit: 1000, graceSeconds: 0 }, async (job) => job.id === first.id);
    expect(taken).toBeGreaterThanOrEqual(2);
    expect((await snapshot(db.pool, first.id)).job.enqueued_at).not.toBeNull();
    expect((await snapshot(db.pool, second.id)).job.enqueued_at).toBeNull();
  });
});

describe('failLostStep (the sweeper, a worker that saw BullMQ fail a step)', () => {
  it('fails the job and its step together', async () => {
    const at = await startedJob(db.pool);
    expect(await lifecycle.failLostStep(db.pool, at, { code: 'worker_lost', message: 'gone' })).toMatchObject({ state: 'failed', error_code: 'worker_lost' });
    expect((await snapshot(db.pool, at.jobId)).steps).toMatchObject([{ state: 'failed', error_code: 'worker_lost' }]);
  });

  it('refuses a job in another run (a replay won), and changes nothing', async () => {
    const job = await jobAt(db.pool, { state: 'running', run: 2 });
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.failLostStep(db.pool, { jobId: job.id, run: 1, step: 'inspect' }, { code: 'worker_lost', message: 'gone' })).toBeUndefined();
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('leaves the job running when its step row cannot be written', async () => {
    const at = await startedJob(db.pool);
    const before = await snapshot(db.pool, at.jobId);
    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.failLostStep(db.pool, at, { code: 'worker_lost', message: 'gone' }));
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });
});

describe('archive status bookkeeping', () => {
  it('remembers a status for the current run only', async () => {
    const job = await jobAt(db.pool, { state: 'running', run: 2 });
    await lifecycle.recordArchiveStatus(db.pool, { jobId: job.id, run: 1 }, 'running');
    expect((await snapshot(db.pool, job.id)).job.archive_status).toBeNull();
    await lifecycle.recordArchiveStatus(db.pool, { jobId: job.id, run: 2 }, 'running');
    expect((await snapshot(db.pool, job.id)).job.archive_status).toBe('running');
  });

  it('lists a finished job whose archive does not show its state, until its final status is recorded', async () => {
    const job = await jobAt(db.pool, { state: 'succeeded', step: 'finalize' });
    const pending = async () => (await lifecycle.pendingArchiveStatuses(db.pool, 1000, 3600)).map((p) => p.job.id);
    expect(await pending()).toContain(job.id);
    expect(await lifecycle.recordFinalArchiveStatus(db.pool, { ...job, state: 'failed' })).toBe(false);
    expect(await lifecycle.recordFinalArchiveStatus(db.pool, job)).toBe(true);
    expect((await snapshot(db.pool, job.id)).job.archive_status).toBe('expanded');
    expect(await pending()).not.toContain(job.id);
  });
});

describe("the intake's transitions", () => {
  it('postpones the start of a job that has not started, and of no other', async () => {
    const waiting = await jobAt(db.pool);
    const later = new Date(Date.now() + 60_000);
    expect(await lifecycle.postponeStart(db.pool, waiting.id, later)).toBe(true);
    expect((await snapshot(db.pool, waiting.id)).job.not_before).toEqual(later);

    const started = await jobAt(db.pool);
    await lifecycle.startStep(db.pool, { jobId: started.id, run: 1, step: 'inspect' });
    const before = await snapshot(db.pool, started.id);
    expect(await lifecycle.postponeStart(db.pool, started.id, later)).toBe(false);
    expect(await snapshot(db.pool, started.id)).toEqual(before);
  });
});

describe("a step's own records", () => {
  it('adds flags to the job and to the step row together, or to neither', async () => {
    const at = await startedJob(db.pool);
    await lifecycle.recordFlags(db.pool, at, ['incomplete'], ['3 images missing']);
    const after = await snapshot(db.pool, at.jobId);
    expect(after.job).toMatchObject({ flags: ['incomplete'], warnings: ['3 images missing'] });
    expect(after.steps).toMatchObject([{ detail: { job_flags: ['incomplete'], job_warnings: ['3 images missing'] } }]);

    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.recordFlags(db.pool, at, ['partial'], []));
    expect(await snapshot(db.pool, at.jobId)).toEqual(after);
  });
});
