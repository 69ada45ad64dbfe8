import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycle, registrationBreaks, type JobRow } from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { jobAt } from '../../support/job-rows.js';

/**
 * Which registration of a tree a rename or removal breaks (registered_data.changed): the landing
 * job's own, or one on demand in another server, each until an unregister of its own server.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('registered_trees');
});
afterAll(async () => {
  await db?.drop();
});

type Omero = { mode: 'ln_s' | 'upload'; server_name: string };

/** A landing job that expanded to its own tree and, when `omero` is given, registered it there in run 1. */
async function landing(omero?: Omero): Promise<JobRow & { target_path: string }> {
  const job = await jobAt(db.pool, { state: 'succeeded', step: 'finalize' });
  const target = `/tempZone/home/alice/tree-${job.id.slice(0, 8)}`;
  await db.pool.query('UPDATE jobs SET target_path = $2 WHERE id = $1', [job.id, target]);
  if (omero) await omeroStep(job.id, 1, omero);
  return { ...job, target_path: target };
}

/** `finishedAt` is SQL: a registration after an unregister finishes later, whatever the clock's resolution. */
async function omeroStep(jobId: string, run: number, omero: Omero, finishedAt = 'now()'): Promise<void> {
  await db.pool.query(`INSERT INTO job_steps (job_id, run, step, state, detail, finished_at) VALUES ($1, $2, 'omero', 'succeeded', $3, ${finishedAt})`, [
    jobId,
    run,
    { omero: { ...omero, server: `${omero.server_name}.test:4064`, images: [] } },
  ]);
}

/** A registration on demand of the landing job's tree in `omero.server_name`, finished. */
async function onDemand(job: JobRow & { target_path: string }, omero: Omero): Promise<string> {
  const { rows } = await db.pool.query<{ logical_path: string }>('SELECT logical_path FROM archives WHERE id = $1', [job.archive_id]);
  const created = await lifecycle.createRegisterJob(
    db.pool,
    { jobId: job.id, logicalPath: rows[0]?.logical_path ?? '' },
    { server: omero.server_name, mode: omero.mode, group: null },
    'operator:test',
  );
  if (!('job' in created)) throw new Error(`not created: ${created.code}`);
  await db.pool.query(`UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = $1`, [created.job.id]);
  await omeroStep(created.job.id, created.job.run, omero);
  return created.job.id;
}

/** An unregister of `server` on the landing job, finished now (run 2, 3, …). */
async function unregistered(job: JobRow, server: string): Promise<void> {
  const { rows } = await db.pool.query<{ run: number }>('UPDATE jobs SET run = run + 1 WHERE id = $1 RETURNING run', [job.id]);
  await db.pool.query(`INSERT INTO job_steps (job_id, run, step, state, detail, finished_at) VALUES ($1, $2, 'unregister', 'succeeded', $3, now())`, [
    job.id,
    rows[0]?.run,
    { omero_unregister: { server, outcome: 'unregistered' } },
  ]);
}

const touched = async (job: { target_path: string }) =>
  (await registrationBreaks.registeredTreesTouchedBy(db.pool, `${job.target_path}/image.tif`)).map((t) => t.registration.server_name);

describe('the registrations a change of registered data breaks', () => {
  it('include an in-place registration on demand in another server, before an upload in the default one', async () => {
    const job = await landing({ mode: 'upload', server_name: 'default' });
    await onDemand(job, { mode: 'ln_s', server_name: 'partner' });
    const trees = await registrationBreaks.registeredTreesTouchedBy(db.pool, `${job.target_path}/image.tif`);
    expect(trees).toMatchObject([{ job_id: job.id, target_path: job.target_path, registration: { mode: 'ln_s', server_name: 'partner' } }]);
  });

  it('find a tree registered only on demand', async () => {
    const job = await landing();
    expect(await touched(job)).toEqual([]);
    await onDemand(job, { mode: 'ln_s', server_name: 'partner' });
    expect(await touched(job)).toEqual(['partner']);
  });

  it('forget a server\'s registration once it is unregistered there, and only that server\'s', async () => {
    const job = await landing({ mode: 'ln_s', server_name: 'default' });
    await onDemand(job, { mode: 'ln_s', server_name: 'partner' });
    await unregistered(job, 'partner');
    expect(await touched(job)).toEqual(['default']);
    await unregistered(job, 'default');
    expect(await touched(job)).toEqual([]);
  });

  it('count a registration on demand again when its job registers again after the unregister (a replay)', async () => {
    const job = await landing();
    const registerJob = await onDemand(job, { mode: 'ln_s', server_name: 'partner' });
    await unregistered(job, 'partner');
    expect(await touched(job)).toEqual([]);
    const { rows } = await db.pool.query<{ run: number }>('UPDATE jobs SET run = run + 1 WHERE id = $1 RETURNING run', [registerJob]);
    await omeroStep(registerJob, rows[0]?.run ?? 2, { mode: 'ln_s', server_name: 'partner' }, "now() + interval '1 second'");
    expect(await touched(job)).toEqual(['partner']);
  });

  it('take a registration written before several servers (no server name) as undone by any unregister', async () => {
    const job = await jobAt(db.pool, { state: 'succeeded', step: 'finalize' });
    const target = `/tempZone/home/alice/old-${job.id.slice(0, 8)}`;
    await db.pool.query('UPDATE jobs SET target_path = $2 WHERE id = $1', [job.id, target]);
    await db.pool.query(`INSERT INTO job_steps (job_id, run, step, state, detail, finished_at) VALUES ($1, 1, 'omero', 'succeeded', $2, now())`, [
      job.id,
      { omero: { mode: 'ln_s', server: 'omero.test:4064', images: [] } },
    ]);
    expect(await touched({ target_path: target })).toHaveLength(1);
    await unregistered(job, 'default');
    expect(await touched({ target_path: target })).toEqual([]);
  });
});
