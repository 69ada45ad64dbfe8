import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../support/agent.js';
import { agentAvus, waitForJob } from '../../support/pipeline.js';
import type { StandinCall } from '../../standins/omero-cli/index.js';
import { FIXTURES, omeroAttempts, useOmeroWorld } from './landing.js';

// The omero step pushing a copy (OMERO_MODE=upload without a mount: the tree is staged out of
// iRODS first), and the ways it fails: each with its code, a sentence on the archive, and
// retried only when a retry can help.

const CONNECTION = ['-s', 'omero.test', '-p', '4064', '-u', 'agent'];
const NS = 'irods_omero_agent::omero_';

const world = useOmeroWorld('upload');
const { land, archiveError } = world;

describe('upload mode, staged out of iRODS', () => {
  let agent: TestAgent;
  let staging: string;

  beforeAll(async () => {
    staging = await mkdtemp(join(tmpdir(), 'omero-staging-'));
    agent = await startTestAgent({
      label: 'omero-upload',
      irods: world.irods.client,
      workers: true,
      env: world.omero.agentEnv({ OMERO_MODE: 'upload', OMERO_MERGE: 'false', OMERO_STAGING_DIR: staging, OMERO_TIMEOUT_SECONDS: '6' }),
    });
  });
  afterAll(async () => {
    await agent?.close();
    await rm(staging, { recursive: true, force: true });
  });

  it('pushes a copy: unpack without --ln_s_import on a staged folder, removed afterwards; plate and screen ids come back', async () => {
    const before = (await world.omero.calls()).length;
    const { target, jobId } = await land(agent, `${FIXTURES}simple_screen.zip`);
    await waitForJob(agent.db.pool, jobId);
    const calls = (await world.omero.calls()).slice(before);
    const unpack = calls.find((c) => c.argv[0] === 'transfer') as StandinCall;
    const folder = unpack.argv[unpack.argv.length - 1] as string;
    expect(folder.startsWith(join(staging, 'ioa-omero-upload-'))).toBe(true);
    expect(unpack.argv).toEqual(['transfer', ...CONNECTION, 'unpack', '--folder', folder]);
    // The stand-in read every byte of the staged files (an upload does); then they were removed.
    expect(unpack.exit).toBe(0);
    expect(await readdir(staging)).toEqual([]);

    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
    const detail = rows[0].detail.omero;
    expect(detail.mode).toBe('upload');
    const state = await world.omero.state();
    expect(Object.values(state.filesets).every((f) => !f.in_place)).toBe(true);
    // Two plates (both named "Plate Name 0": told apart by the images they hold) in one screen.
    const plates = detail.plates as { source_id: string; omero_id: string; name: string }[];
    expect(plates).toHaveLength(2);
    expect(new Set(plates.map((p) => p.omero_id)).size).toBe(2);
    for (const p of plates) expect(state.plates[p.omero_id]?.name).toBe(p.name);
    const [plateId] = Object.entries(state.plates).find(([, p]) => p.images.includes(detail.images[0].omero_id)) ?? [];
    expect(plates.map((p) => p.omero_id)).toContain(plateId);
    expect(detail.screens).toHaveLength(1);
    expect(state.screens[detail.screens[0].omero_id]?.plates.sort()).toEqual(plates.map((p) => p.omero_id).sort());
    expect(detail.images.length).toBeGreaterThan(1);

    const rootRows = await world.irods.client.query.genqueryAll(
      `SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE WHERE COLL_NAME = '${target}' AND META_COLL_ATTR_NAME like '${NS}%'`,
    );
    const root = rootRows.map(([a, v]) => `${a}=${v}`);
    expect(root).toEqual(expect.arrayContaining([`${NS}mode=upload`, `${NS}plate_id=${plateId}`, `${NS}screen_id=${detail.screens[0].omero_id}`]));
    // All images of the plate file: one AVU each on that one file.
    const platePath = detail.images[0].path as string;
    const onFile = await agentAvus(world.irods.client, `${target}/${platePath}`);
    expect(onFile.omero_image_id).toHaveLength(detail.images.filter((i: { path: string }) => i.path === platePath).length);
  });

  it('registers what an incomplete archive holds, without counting the image its file is missing for', async () => {
    const { target, jobId } = await land(agent, `${FIXTURES}incomplete_project.zip`);
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).toContain('incomplete');
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
    const detail = rows[0].detail.omero;
    // The importer reported the missing file as an error; the other images are registered.
    expect(detail.import.import_errors).toBe(1);
    expect(detail.images.some((i: { path: string }) => i.path.endsWith('cycle4.ome_cells.png'))).toBe(false);
    expect(detail.images.length).toBeGreaterThan(0);
    expect(detail.unmatched_source_images).toEqual([]);
    for (const image of detail.images) {
      expect((await agentAvus(world.irods.client, `${target}/${image.path}`)).omero_image_id).toEqual([image.omero_id]);
    }
  });

  it('fails without retrying when the imports fail, and says how many images were registered', async () => {
    await world.omero.control({ fail: 'import' });
    try {
      const { lpath, target, jobId } = await land(agent, `${FIXTURES}valid_single_image.zip`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_import_failed');
      // Nothing registered, so nothing claims a registration in iRODS.
      expect(await world.irods.client.query.genqueryAll(`SELECT META_COLL_ATTR_NAME WHERE COLL_NAME = '${target}' AND META_COLL_ATTR_NAME like '${NS}%'`)).toEqual([]);
      expect(job.error_message).toMatch(/OMERO registered 0 of the 1 images.*1 import error.*issue #12/);
      expect(await omeroAttempts(agent, jobId)).toBe(1);
      expect(await archiveError(lpath)).toMatch(/OMERO registered 0 of the 1 images/);
      expect(await readdir(staging)).toEqual([]);
    } finally {
      await world.omero.control({ fail: null });
    }
  });

  it('stops an unpack that runs past OMERO_TIMEOUT_SECONDS and does not retry it', async () => {
    await world.omero.control({ fail: 'hang' });
    try {
      const { jobId } = await land(agent, `${FIXTURES}valid_single_image.tar`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_timeout');
      expect(job.error_message).toMatch(/did not finish in time.*OMERO_TIMEOUT_SECONDS/);
      expect(await omeroAttempts(agent, jobId)).toBe(1);
      expect(await readdir(staging)).toEqual([]);
    } finally {
      await world.omero.control({ fail: null });
    }
  });

  it('names the missing plugin when the CLI has no transfer command', async () => {
    await world.omero.control({ fail: 'no_transfer_plugin' });
    try {
      const { jobId } = await land(agent, `${FIXTURES}valid_single_image.zip`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_transfer_missing');
      expect(job.error_message).toMatch(/has no "transfer" command: install omero-cli-transfer/);
      expect(await omeroAttempts(agent, jobId)).toBe(1);
    } finally {
      await world.omero.control({ fail: null });
    }
  });
});

describe('a missing OMERO CLI', () => {
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await startTestAgent({
      label: 'omero-nocli',
      irods: world.irods.client,
      workers: true,
      env: world.omero.agentEnv({ OMERO_CLI: '/nonexistent/bin/omero' }),
    });
  });
  afterAll(async () => agent?.close());

  it('fails the job at once with a sentence naming OMERO_CLI', async () => {
    const { lpath, jobId } = await land(agent, `${FIXTURES}valid_single_image.zip`);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.step).toBe('omero');
    expect(job.error_code).toBe('omero_cli_missing');
    expect(await omeroAttempts(agent, jobId)).toBe(1);
    expect(await archiveError(lpath)).toMatch(/The OMERO CLI "\/nonexistent\/bin\/omero" could not be started.*ENOENT.*OMERO_CLI/);
  });
});

describe('OMERO switched off', () => {
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await startTestAgent({ label: 'omero-off', irods: world.irods.client, workers: true, env: world.omero.agentEnv({ OMERO_ENABLED: 'false' }) });
  });
  afterAll(async () => agent?.close());

  it('does not run the omero step: the job succeeds without calling the CLI', async () => {
    const before = (await world.omero.calls()).length;
    const { jobId } = await land(agent, `${FIXTURES}valid_single_image.zip`);
    await waitForJob(agent.db.pool, jobId);
    expect(await omeroAttempts(agent, jobId)).toBeUndefined();
    expect((await world.omero.calls()).slice(before)).toEqual([]);
  });
});
