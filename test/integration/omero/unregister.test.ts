import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { startTestAgent, TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, type TestAgent } from '../../support/agent.js';
import { writeArchive } from '../../support/archives/temp-files.js';
import { craftZipBytes } from '../../support/archives/zip-crafter.js';
import { agentAvus, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import type { StandinState } from '../../standins/omero-cli/index.js';
import { FIXTURES, useOmeroWorld, type Landed } from './landing.js';

// `omero unregister`: an operator removes an archive's registration from OMERO (through the CLI)
// and its registration AVUs from iRODS, after which the data may be moved. It runs as a run of the
// archive's job (retried, replayable, audited), OMERO first, the AVUs only once OMERO deleted.

const MOUNT = '/mnt/irods-nfsrods';
const NS = 'irods_omero_agent::omero_';

const world = useOmeroWorld('unregister', (irods) => ({
  nfsrods: { url: irods.standin.baseUrl, zone: irods.zone, mount: MOUNT, user: 'rods', password: 'rods' },
}));

let agent: TestAgent;

beforeAll(async () => {
  agent = await startTestAgent({
    label: 'omero-unregister',
    irods: world.irods.client,
    workers: true,
    env: world.omero.agentEnv({ OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: MOUNT, AGENT_STEP_ATTEMPTS: '2', AGENT_STEP_BACKOFF_MS: '200' }),
  });
});
afterAll(async () => {
  await agent?.close();
});

async function landRegistered(fixture: string): Promise<Landed> {
  const landed = await world.land(agent, fixture);
  await waitForJob(agent.db.pool, landed.jobId);
  return landed;
}

/** Every `irods_omero_agent::omero_*` AVU in the tree, as "lpath attribute=value". */
async function registrationAvusUnder(root: string): Promise<string[]> {
  const q = world.irods.client.query;
  const objects = await q.genqueryAll(`SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME like '${root}%' AND META_DATA_ATTR_NAME like '${NS}%'`);
  const collections = await q.genqueryAll(`SELECT COLL_NAME, META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE WHERE COLL_NAME like '${root}%' AND META_COLL_ATTR_NAME like '${NS}%'`);
  return [
    ...objects.map(([c, d, a, v]) => `${c}/${d} ${a}=${v}`),
    ...collections.map(([c, a, v]) => `${c} ${a}=${v}`),
  ].sort();
}

async function unregister(body: Record<string, unknown>, token = TEST_OPERATOR_TOKEN, path = '/v1/archives/omero/unregister') {
  const res = await fetch(`${agent.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get('location'), json: (await res.json()) as Record<string, unknown> };
}

async function stepRow(jobId: string, run: number) {
  const { rows } = await agent.db.pool.query<{ state: string; attempts: number; error_code: string | null; detail: Record<string, unknown> }>(
    "SELECT state, attempts, error_code, detail FROM job_steps WHERE job_id = $1 AND run = $2 AND step = 'unregister'",
    [jobId, run],
  );
  return rows[0];
}

/** The OMERO ids the omero step recorded for the job's first run. */
async function registeredIds(jobId: string): Promise<{ images: string[]; datasets: string[]; projects: string[] }> {
  const { rows } = await agent.db.pool.query<{ detail: { omero: { images: { omero_id: string }[]; datasets: { omero_id: string }[]; projects: { omero_id: string }[] } } }>(
    "SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero' AND state = 'succeeded' ORDER BY run LIMIT 1",
    [jobId],
  );
  const o = rows[0]!.detail.omero;
  return { images: o.images.map((i) => i.omero_id), datasets: o.datasets.map((d) => d.omero_id), projects: o.projects.map((p) => p.omero_id) };
}

const deleteCalls = async () => (await world.omero.calls()).filter((c) => c.argv.includes('delete'));
const has = (state: StandinState, table: 'images' | 'datasets' | 'projects', ids: string[]) => ids.filter((id) => id in state[table]);

describe('omero unregister: refusals', () => {
  let registered: Landed;
  beforeAll(async () => {
    registered = await landRegistered('valid_single_image.zip');
  });

  it('answers 404 for an archive or a path the agent does not know, 400 for an unknown server, and refuses readers', async () => {
    expect(await unregister({ path: '/tempZone/home/alice/nothing-here.zip' })).toMatchObject({ status: 404, json: { error: 'not_found' } });
    expect(await unregister({}, TEST_OPERATOR_TOKEN, '/v1/archives/987654/omero/unregister')).toMatchObject({ status: 404, json: { error: 'not_found' } });
    expect(await unregister({ path: registered.target, server: 'elsewhere' })).toMatchObject({ status: 400, json: { error: 'unknown_server' } });
    expect((await unregister({ path: registered.target }, TEST_READER_TOKEN)).status).toBe(403);
    expect((await unregister({ path: 'relative/path' })).status).toBe(400);
    expect((await unregister({}, TEST_OPERATOR_TOKEN, '/v1/archives/abc/omero/unregister')).status).toBe(400);
    // Nothing was started, nothing deleted.
    expect((await agent.db.pool.query('SELECT run FROM jobs WHERE id = $1', [registered.jobId])).rows[0]).toEqual({ run: 1 });
    expect(await deleteCalls()).toEqual([]);
  });

  it('answers 409 not_registered for a tree with no registration (an archive without transfer.xml, which the omero step skips)', async () => {
    const plain = await world.land(agent, await writeArchive(craftZipBytes([{ name: 'notes.txt', data: 'no OMERO here' }]), '.zip'));
    await waitForJob(agent.db.pool, plain.jobId);
    const res = await unregister({ path: plain.lpath });
    expect(res).toMatchObject({ status: 409, json: { error: 'not_registered' } });
    expect(res.json.message).toContain(`${plain.target} carries no registration in the OMERO server "default"`);
  });
});

describe('omero unregister: an archive that never expanded', () => {
  it('answers 409 not_expanded (here: a name with a quote, which the agent does not expand), not a 5xx', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unregister-quote-'));
    const local = join(dir, "it's.zip");
    await copyFile(`${FIXTURES}valid_single_image.zip`, local);
    const landed = await world.land(agent, local);
    await waitForJob(agent.db.pool, landed.jobId, ['failed']);
    const res = await unregister({ path: landed.lpath });
    expect(res).toMatchObject({ status: 409, json: { error: 'not_expanded' } });
    expect(res.json.message).toContain('has not been expanded');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('omero unregister: end to end', () => {
  let landed: Landed;
  let ids: { images: string[]; datasets: string[]; projects: string[] };
  let run: number;

  beforeAll(async () => {
    landed = await landRegistered('valid_single_project.zip');
    ids = await registeredIds(landed.jobId);
    // An administrator renamed a registered file anyway: the archive carries the broken mark.
    const file = (await registrationAvusUnder(landed.target)).find((l) => l.includes(`${NS}image_id`))!.split(' ')[0]!;
    const event = {
      type: 'registered_data.changed',
      timestamp: new Date().toISOString(),
      data: { zone: 'tempZone', logical_path: file, entity_type: 'data_object', operation: 'removed', user: 'rods', user_zone: 'tempZone', client_user: 'rods#tempZone', pep: 'pep_api_data_obj_unlink_post' },
    };
    expect((await agent.postEvent(event)).status).toBe(202);
    await waitFor('the broken mark on the archive', async () => (await agentAvus(world.irods.client, landed.lpath)).registration);
  });

  it('deletes the images and the containers it made in OMERO, then the AVUs in iRODS; the archive says expanded again', async () => {
    expect(ids.images.length).toBeGreaterThan(0);
    expect(await registrationAvusUnder(landed.target)).not.toEqual([]);
    const before = await world.omero.state();
    expect(has(before, 'images', ids.images)).toEqual(ids.images);

    const res = await unregister({ path: `${landed.target}/` });
    expect(res.status).toBe(202);
    expect(res.location).toBe(`/v1/jobs/${landed.jobId}`);
    expect(res.json).toMatchObject({ outcome: 'queued', job_id: landed.jobId, run: 2, server: 'default', archive_path: landed.lpath, target_path: landed.target });
    run = res.json.run as number;

    const job = await waitForJob(agent.db.pool, landed.jobId);
    expect(job).toMatchObject({ run, step: 'unregister', state: 'succeeded', archive_status: 'expanded' });
    const after = await world.omero.state();
    expect(has(after, 'images', ids.images)).toEqual([]);
    expect(has(after, 'datasets', ids.datasets)).toEqual([]);
    expect(has(after, 'projects', ids.projects)).toEqual([]);
    expect(await registrationAvusUnder(landed.target)).toEqual([]);

    const archive = await agentAvus(world.irods.client, landed.lpath);
    expect(archive.status).toEqual(['expanded']);
    expect(archive.registration).toBeUndefined();
    expect(archive.registration_error).toBeUndefined();

    const row = await stepRow(landed.jobId, run);
    expect(row).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(row!.detail.request).toMatchObject({ server: 'default', requested_by: expect.stringMatching(/^operator:/) });
    expect(row!.detail.omero_unregister).toMatchObject({ outcome: 'unregistered', server: 'default', mode: 'ln_s', breaks_cleared: 1, omero: { kept: [], already_gone: [] } });

    // The delete went through the CLI with the login arguments before `delete`, as OMERO.py wants them.
    const calls = await deleteCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]!.argv.slice(0, 7)).toEqual(['-s', 'omero.test', '-p', '4064', '-u', 'agent', 'delete']);
    expect(calls.every((c) => c.exit === 0)).toBe(true);
  });

  it('is recorded: who asked (admin actions), what changed (audit), in jobs show; the feed shows the registration gone', async () => {
    const detail = (await (await fetch(`${agent.url}/v1/jobs/${landed.jobId}`, { headers: { authorization: `Bearer ${TEST_READER_TOKEN}` } })).json()) as {
      step: string;
      admin_actions: { action: string; actor: string; detail: Record<string, unknown> }[];
      audit: { items: { action: string; lpath: string; detail: Record<string, unknown> }[] };
    };
    expect(detail.step).toBe('unregister');
    expect(detail.admin_actions).toContainEqual(expect.objectContaining({ action: 'omero_unregister', actor: expect.stringMatching(/^operator:/), detail: expect.objectContaining({ server: 'default', run }) }));
    expect(detail.audit.items.map((a) => a.action)).toEqual(expect.arrayContaining(['omero_delete', 'modify_metadata']));
    expect(detail.audit.items.find((a) => a.action === 'omero_delete')).toMatchObject({ lpath: landed.target, detail: { server: 'default' } });

    // In the feed once no older transaction of the cluster is still running (the feed's rule, migration 0002).
    const item = await waitFor('the unregistered archive in the feed', async () => {
      const feed = (await (await fetch(`${agent.url}/v1/archives?state=succeeded`, { headers: { authorization: `Bearer ${TEST_READER_TOKEN}` } })).json()) as {
        items: { job_id: string; run: number; omero_registration: unknown; steps: Record<string, { detail: Record<string, unknown> }> }[];
      };
      return feed.items.find((i) => i.job_id === landed.jobId && i.run === run);
    });
    expect(item.omero_registration).toBeNull();
    expect(item.steps.omero).toBeUndefined();
    expect(item.steps.unregister?.detail.omero_unregister).toMatchObject({ outcome: 'unregistered' });
  });

  it('a second unregister is a no-op with a clear message; a replay of the run deletes nothing', async () => {
    const deletesBefore = (await deleteCalls()).length;
    const again = await unregister({ path: landed.lpath });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ outcome: 'already_unregistered', run });
    expect(again.json.message).toContain('was already unregistered from the OMERO server "default"');

    const replayed = await fetch(`${agent.url}/v1/jobs/${landed.jobId}/replay`, { method: 'POST', headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
    expect(replayed.status).toBe(202);
    expect(await replayed.json()).toMatchObject({ from: 'unregister' });
    await waitForJob(agent.db.pool, landed.jobId);
    expect((await stepRow(landed.jobId, run + 1))!.detail.omero_unregister).toMatchObject({ outcome: 'not_registered' });
    expect((await deleteCalls()).length).toBe(deletesBefore);
    expect((await agentAvus(world.irods.client, landed.lpath)).status).toEqual(['expanded']);
  });

  it('a rename of the unregistered tree no longer marks it broken', async () => {
    const event = {
      type: 'registered_data.changed',
      timestamp: new Date().toISOString(),
      data: { zone: 'tempZone', logical_path: landed.target, entity_type: 'collection', operation: 'renamed', destination_logical_path: `${landed.target}-moved`, user: 'rods', user_zone: 'tempZone', client_user: 'rods#tempZone', pep: 'pep_api_data_obj_rename_post' },
    };
    const res = await agent.postEvent(event);
    expect(res.json.job_ids ?? []).not.toContain(landed.jobId);
    const { rows } = await agent.db.pool.query('SELECT count(*)::int AS n FROM omero_registration_breaks WHERE job_id = $1 AND cleared_at IS NULL', [landed.jobId]);
    expect(rows[0]).toEqual({ n: 0 });
  });
});

describe('omero unregister: sharing and faults', () => {
  it('with --merge, keeps a Dataset and Project another archive still fills, and deletes only this archive\'s images', async () => {
    const first = await landRegistered('valid_single_project.zip');
    const second = await landRegistered('valid_single_project.zip');
    const a = await registeredIds(first.jobId);
    const b = await registeredIds(second.jobId);
    expect(a.datasets).toEqual(b.datasets); // merged into the same containers

    expect((await unregister({ path: first.lpath })).status).toBe(202);
    await waitForJob(agent.db.pool, first.jobId);
    const state = await world.omero.state();
    expect(has(state, 'images', a.images)).toEqual([]);
    expect(has(state, 'images', b.images)).toEqual(b.images);
    expect(has(state, 'datasets', b.datasets)).toEqual(b.datasets);
    expect(has(state, 'projects', b.projects)).toEqual(b.projects);
    const run = (await agent.db.pool.query('SELECT run FROM jobs WHERE id = $1', [first.jobId])).rows[0].run as number;
    expect(((await stepRow(first.jobId, run))!.detail.omero_unregister as { omero: { kept: string[] } }).omero.kept).toEqual(
      expect.arrayContaining([...b.datasets.map((d) => `Dataset:${d}`), ...b.projects.map((p) => `Project:${p}`)]),
    );
    expect(await registrationAvusUnder(second.target)).not.toEqual([]);
  });

  it('OMERO unreachable during the delete: the step is retried, then fails with the reason; the AVUs stay until OMERO deleted', async () => {
    const landed = await landRegistered('valid_single_image.zip');
    const ids = await registeredIds(landed.jobId);
    const avus = await registrationAvusUnder(landed.target);
    await world.omero.control({ fail: 'delete_unreachable' });
    try {
      expect((await unregister({ path: landed.target })).status).toBe(202);
      const job = await waitForJob(agent.db.pool, landed.jobId, ['failed']);
      expect(job).toMatchObject({ step: 'unregister', error_code: 'omero_unreachable' });
      expect(job.error_message).toContain('could not be reached');
      expect(job.error_message).toContain('The registration AVUs were left in iRODS.');
      expect(await stepRow(landed.jobId, job.run)).toMatchObject({ state: 'failed', attempts: 2, error_code: 'omero_unreachable' });
      expect(await registrationAvusUnder(landed.target)).toEqual(avus);
      expect(has(await world.omero.state(), 'images', ids.images)).toEqual(ids.images);
      expect((await agentAvus(world.irods.client, landed.lpath)).status).toEqual(['failed']);
    } finally {
      await world.omero.control({ fail: null });
    }
    // Once OMERO answers, a replay finishes it.
    const replayed = await fetch(`${agent.url}/v1/jobs/${landed.jobId}/replay`, { method: 'POST', headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
    expect(await replayed.json()).toMatchObject({ from: 'unregister' });
    await waitForJob(agent.db.pool, landed.jobId);
    expect(await registrationAvusUnder(landed.target)).toEqual([]);
    expect(has(await world.omero.state(), 'images', ids.images)).toEqual([]);
  });

  it('images already deleted in OMERO by someone else are not an error', async () => {
    const landed = await landRegistered('valid_single_image.zip');
    const ids = await registeredIds(landed.jobId);
    await world.omero.editState((state) => {
      for (const id of ids.images) delete state.images[id];
    });
    expect((await unregister({ path: landed.target })).status).toBe(202);
    // Asked again while that run is on its way: refused, nothing started twice.
    expect(await unregister({ path: landed.target })).toMatchObject({ status: 409, json: { error: 'job_busy' } });
    const job = await waitForJob(agent.db.pool, landed.jobId);
    const detail = (await stepRow(landed.jobId, job.run))!.detail.omero_unregister as { omero: { already_gone: string[] } };
    expect(detail.omero.already_gone).toEqual(ids.images.map((i) => `Image:${i}`));
    expect(await registrationAvusUnder(landed.target)).toEqual([]);
  });
});

describe('irods-omero-agent omero unregister', () => {
  function io(): CliIo & { lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    return {
      env: { AGENT_URL: agent.url, AGENT_ADMIN_TOKEN: TEST_OPERATOR_TOKEN },
      out: (l) => lines.push(l),
      err: (l) => errors.push(l),
      exitCode: 0,
      lines,
      errors,
    };
  }

  it('asks the agent, waits with --wait, and says what happened; an unknown path is exit status 4 (not found)', async () => {
    const landed = await landRegistered('valid_single_image.zip');
    const cli = io();
    expect(await runCli(['omero', 'unregister', landed.lpath, '--wait'], cli)).toBe(0);
    expect(cli.lines[0]).toContain(`unregistering ${landed.target} from the OMERO server "default": job ${landed.jobId}, run 2`);
    expect(await registrationAvusUnder(landed.target)).toEqual([]);

    const again = io();
    expect(await runCli(['omero', 'unregister', landed.target, '--json'], again)).toBe(0);
    expect(JSON.parse(again.lines[0]!)).toMatchObject({ outcome: 'already_unregistered' });

    const unknown = io();
    expect(await runCli(['omero', 'unregister', '/tempZone/home/alice/none.zip'], unknown)).toBe(4);
    expect(unknown.errors.join('\n')).toContain('no archive or expanded tree known to the agent');

    const relative = io();
    expect(await runCli(['omero', 'unregister', 'none.zip'], relative)).toBe(2);
  });
});
