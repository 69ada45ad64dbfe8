import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycle, type StepName } from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { failsUnderFault, jobAt, snapshot, startedJob } from '../../support/job-rows.js';

/**
 * The transitions a worker makes on a step attempt (store/lifecycle/step-attempts.ts), against
 * PostgreSQL: each moves the job from where it is expected, refuses from anywhere else without
 * changing a row, and writes the job and its step's rows together or not at all.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('lifecycle_steps');
});
afterAll(async () => {
  await db?.drop();
});

const everyStep = (): boolean => true;
const noOmero = (step: StepName): boolean => step !== 'omero';
const failure = { code: 'irods_error', message: 'iRODS refused it', entry: 'a/b.tif', irodsStatus: -818000 };

/** A job whose `step` has started in run 1: running, with its step's row and first attempt. */
async function runningAt(step: StepName) {
  const at = await startedJob(db.pool, step);
  return { ...at, step };
}

describe('startStep', () => {
  it('marks a queued job running and enqueued, clears a waiting reason, and opens attempt 1', async () => {
    const job = await jobAt(db.pool);
    await db.pool.query("UPDATE jobs SET error_code = 'irods_unauthorized' WHERE id = $1", [job.id]);
    const started = await lifecycle.startStep(db.pool, { jobId: job.id, run: 1, step: 'inspect' });
    expect(started?.attempt).toBe(1);
    expect(started?.job).toMatchObject({ state: 'running', error_code: null });
    expect(started?.job.enqueued_at).not.toBeNull();
    expect(started?.job.started_at).not.toBeNull();
    const after = await snapshot(db.pool, job.id);
    expect(after.steps).toMatchObject([{ step: 'inspect', state: 'running', attempts: 1 }]);
    expect(after.attempts).toMatchObject([{ attempt: 1, state: 'running', pid: process.pid }]);
  });

  it('counts a second attempt of the same step', async () => {
    const at = await runningAt('expand');
    expect((await lifecycle.startStep(db.pool, at))?.attempt).toBe(2);
  });

  it.each([
    ['cancel requested', { state: 'queued' as const }, true],
    ['finished', { state: 'failed' as const }, false],
    ['at another step', { state: 'running' as const, step: 'expand' }, false],
    ['in another run', { state: 'queued' as const, run: 2 }, false],
  ])('refuses a job %s and changes nothing', async (_why, where, cancel) => {
    const job = await jobAt(db.pool, where);
    if (cancel) await db.pool.query('UPDATE jobs SET cancel_requested = true WHERE id = $1', [job.id]);
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.startStep(db.pool, { jobId: job.id, run: 1, step: 'inspect' })).toBeUndefined();
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });

  it('leaves the job queued when the attempt cannot be recorded', async () => {
    const job = await jobAt(db.pool);
    const before = await snapshot(db.pool, job.id);
    await failsUnderFault(db.pool, 'job_step_attempts', 'INSERT', () => lifecycle.startStep(db.pool, { jobId: job.id, run: 1, step: 'inspect' }));
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });
});

describe('completeStep', () => {
  it('advances to the next step, in the outbox, and records the step succeeded', async () => {
    const at = await runningAt('inspect');
    const advanced = await lifecycle.completeStep(db.pool, at, { skipped: false, detail: { files: 3 } }, everyStep);
    expect(advanced).toMatchObject({ outcome: 'advanced', next: 'expand', job: { state: 'running', step: 'expand', run: 1, enqueued_at: null } });
    const after = await snapshot(db.pool, at.jobId);
    expect(after.steps).toMatchObject([{ step: 'inspect', state: 'succeeded', detail: { files: 3 } }]);
    expect(after.attempts).toMatchObject([{ state: 'succeeded' }]);
  });

  it('skips the steps that are switched off', async () => {
    const at = await runningAt('metadata');
    expect(await lifecycle.completeStep(db.pool, at, { skipped: false, detail: {} }, noOmero)).toMatchObject({ next: 'finalize' });
  });

  it('ends the job succeeded after the last step, with what the archive shows', async () => {
    const at = await runningAt('finalize');
    const done = await lifecycle.completeStep(db.pool, at, { skipped: false, detail: {}, archiveStatus: 'expanded' }, everyStep);
    expect(done).toMatchObject({ outcome: 'succeeded', job: { state: 'succeeded', step: 'finalize', archive_status: 'expanded' } });
    expect(done?.job.finished_at).not.toBeNull();
  });

  it('records a step without a handler as skipped', async () => {
    const at = await runningAt('permissions');
    await lifecycle.completeStep(db.pool, at, { skipped: true, detail: { skipped: true } }, everyStep);
    expect((await snapshot(db.pool, at.jobId)).steps).toMatchObject([{ state: 'skipped' }]);
  });

  it('refuses a stale result (the job was failed meanwhile) and changes nothing', async () => {
    const at = await runningAt('expand');
    await lifecycle.failLostStep(db.pool, at, { code: 'worker_lost', message: 'gone' });
    const before = await snapshot(db.pool, at.jobId);
    expect(await lifecycle.completeStep(db.pool, at, { skipped: false, detail: {} }, everyStep)).toBeUndefined();
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });

  it('refuses a second worker finishing the same step after the first moved the job on', async () => {
    const at = await runningAt('expand');
    await lifecycle.completeStep(db.pool, at, { skipped: false, detail: {} }, everyStep);
    const before = await snapshot(db.pool, at.jobId);
    expect(await lifecycle.completeStep(db.pool, at, { skipped: false, detail: { again: true } }, everyStep)).toBeUndefined();
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });

  it('neither advances the job nor closes the step when the step row cannot be written', async () => {
    const at = await runningAt('expand');
    const before = await snapshot(db.pool, at.jobId);
    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.completeStep(db.pool, at, { skipped: false, detail: {} }, everyStep));
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });
});

describe('deferStep and retryStep', () => {
  it('leaves the job running, the step queued with the reason, the attempt rescheduled', async () => {
    const at = await runningAt('inspect');
    expect(await lifecycle.deferStep(db.pool, at, 'the upload is still changing')).toBe(true);
    const after = await snapshot(db.pool, at.jobId);
    expect(after.job).toMatchObject({ state: 'running', step: 'inspect' });
    expect(after.steps).toMatchObject([{ state: 'queued', detail: { waiting: 'the upload is still changing' } }]);
    expect(after.attempts).toMatchObject([{ state: 'rescheduled' }]);
  });

  it('keeps a failed attempt on the step, which stays running, the attempt retried', async () => {
    const at = await runningAt('expand');
    expect(await lifecycle.retryStep(db.pool, at, failure)).toEqual({ renderedSafely: false });
    const after = await snapshot(db.pool, at.jobId);
    expect(after.job).toMatchObject({ state: 'running', error_code: null });
    expect(after.steps).toMatchObject([{ state: 'running', error_code: 'irods_error', detail: { entry: 'a/b.tif' } }]);
    expect(after.attempts).toMatchObject([{ state: 'retried', error_code: 'irods_error' }]);
  });

  it('refuse, both, a job that moved on, and change nothing', async () => {
    const at = await runningAt('inspect');
    await lifecycle.completeStep(db.pool, at, { skipped: false, detail: {} }, everyStep);
    const before = await snapshot(db.pool, at.jobId);
    expect(await lifecycle.deferStep(db.pool, at, 'late')).toBe(false);
    expect(await lifecycle.retryStep(db.pool, at, failure)).toBeUndefined();
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });
});

describe('failStep', () => {
  it('fails the job and its step together, remembering that the archive shows it', async () => {
    const at = await runningAt('expand');
    const recorded = await lifecycle.failStep(db.pool, at, failure, { archiveShows: true });
    expect(recorded).toMatchObject({ renderedSafely: false, job: { state: 'failed', error_code: 'irods_error', error_entry: 'a/b.tif', irods_status: -818000, archive_status: 'failed' } });
    expect(recorded?.job.finished_at).not.toBeNull();
    const after = await snapshot(db.pool, at.jobId);
    expect(after.steps).toMatchObject([{ state: 'failed', error_code: 'irods_error', error_message: 'iRODS refused it' }]);
    expect(after.attempts).toMatchObject([{ state: 'failed' }]);
  });

  it('records a safe rendering when PostgreSQL refuses the text, and then does not claim the archive shows it', async () => {
    const at = await runningAt('expand');
    await db.pool.query("ALTER TABLE jobs ADD CONSTRAINT ascii_for_test CHECK (error_message IS NULL OR error_message ~ '^[ -~]*$')");
    try {
      const recorded = await lifecycle.failStep(db.pool, at, { code: 'unsafe_path', message: 'entry "été"' }, { archiveShows: true });
      expect(recorded).toMatchObject({ renderedSafely: true, job: { state: 'failed', error_message: 'entry \\"\\u00e9t\\u00e9\\"', archive_status: null } });
      expect((await snapshot(db.pool, at.jobId)).steps).toMatchObject([{ state: 'failed', error_message: 'entry \\"\\u00e9t\\u00e9\\"' }]);
    } finally {
      await db.pool.query('ALTER TABLE jobs DROP CONSTRAINT ascii_for_test');
    }
  });

  it('refuses a finished job and changes nothing', async () => {
    const at = await runningAt('expand');
    await lifecycle.cancelAtStep(db.pool, at, { archiveShows: false });
    const before = await snapshot(db.pool, at.jobId);
    expect(await lifecycle.failStep(db.pool, at, failure, { archiveShows: true })).toBeUndefined();
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });

  it('leaves the job running when the step row cannot be written', async () => {
    const at = await runningAt('expand');
    const before = await snapshot(db.pool, at.jobId);
    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.failStep(db.pool, at, failure, { archiveShows: true }));
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });
});

describe('waitForLogin', () => {
  it('puts the reason on the job and the step, which waits (queued); the next start clears it', async () => {
    const at = await runningAt('inspect');
    const wait = { code: 'irods_unauthorized', message: 'iRODS does not accept the agent' };
    expect(await lifecycle.waitForLogin(db.pool, at, wait)).toBe(true);
    const after = await snapshot(db.pool, at.jobId);
    expect(after.job).toMatchObject({ state: 'running', error_code: 'irods_unauthorized' });
    expect(after.steps).toMatchObject([{ state: 'queued', error_code: 'irods_unauthorized', detail: { waiting: 'irods_unauthorized' } }]);
    expect((await lifecycle.startStep(db.pool, at))?.job.error_code).toBeNull();
  });

  it('writes the reason on neither when the step row cannot be written', async () => {
    const at = await runningAt('inspect');
    const before = await snapshot(db.pool, at.jobId);
    await failsUnderFault(db.pool, 'job_steps', 'UPDATE', () => lifecycle.waitForLogin(db.pool, at, { code: 'irods_unauthorized', message: 'no' }));
    expect(await snapshot(db.pool, at.jobId)).toEqual(before);
  });

  it('refuses a job that is not running there, and changes nothing', async () => {
    const job = await jobAt(db.pool);
    const before = await snapshot(db.pool, job.id);
    expect(await lifecycle.waitForLogin(db.pool, { jobId: job.id, run: 1, step: 'inspect' }, { code: 'irods_unauthorized', message: 'no' })).toBe(false);
    expect(await snapshot(db.pool, job.id)).toEqual(before);
  });
});
