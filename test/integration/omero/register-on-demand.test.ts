import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import { mapAnnotationsOn } from '../../standins/omero-cli/index.js';
import { FIXTURES, useOmeroWorld, type Landed } from './landing.js';

// Use case F: an archive that expanded (and was registered in the default OMERO server when it
// landed) is registered later in a second server, on an operator's request: a job of its own,
// recorded, replayable, written back under that server's AVU names, shown in the feed.

const PARTNER = 'partner.test:14064';
const world = useOmeroWorld('on-demand', () => ({ servers: { [PARTNER]: { password: 'partner-pass', groups: ['partners'] } } }));

type Json = Record<string, unknown>;
let agent: TestAgent;

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${agent.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? TEST_OPERATOR_TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

const register = (archive: string | number, body?: unknown, token?: string) =>
  api(`/v1/archives/${encodeURIComponent(String(archive))}/omero`, { method: 'POST', body, token });

/** The CLI in this process, as an operator's shell would run it against the agent. */
async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env: { AGENT_URL: agent.url, AGENT_ADMIN_TOKEN: TEST_OPERATOR_TOKEN }, out: (l) => out.push(l), err: (l) => err.push(l), exitCode: 0 };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** The tree's registration AVUs (root and files) as attribute=value lines. */
async function registrationAvus(target: string): Promise<string[]> {
  const q = world.irods.client.query;
  const coll = await q.genqueryAll(`SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE WHERE COLL_NAME = '${target}' AND META_COLL_ATTR_NAME like 'irods_omero_agent::omero_%'`);
  const data = await q.genqueryAll(
    `SELECT DATA_NAME, META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME like '${target}%' AND META_DATA_ATTR_NAME like 'irods_omero_agent::omero_%'`,
  );
  return [...coll.map(([a, v]) => `${a}=${v}`), ...data.map(([n, a, v]) => `${n}:${a}=${v}`)].sort();
}

describe('registering an expanded archive in another OMERO server on demand', () => {
  let landed: Landed;
  let archiveId: number;

  beforeAll(async () => {
    const env = await world.omero.agentEnvWithServers([
      { name: 'facility', host: 'omero.test', user: 'agent', password: world.omero.password, default: true },
      { name: 'partner', host: 'partner.test', port: 14064, user: 'guest', password: 'partner-pass', group: 'partners' },
      { name: 'inplace', host: 'inplace.test', user: 'agent', password: 'x', mode: 'upload' },
    ], { AGENT_OMERO_SYNC_DEBOUNCE_SECONDS: '1' });
    agent = await startTestAgent({ label: 'omero-on-demand', irods: world.irods.client, workers: true, env });
    landed = await world.land(agent, `${FIXTURES}valid_single_image.zip`);
    await waitForJob(agent.db.pool, landed.jobId);
    const { rows } = await agent.db.pool.query<{ archive_id: string }>('SELECT archive_id FROM jobs WHERE id = $1', [landed.jobId]);
    archiveId = Number(rows[0]?.archive_id);
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('refuses what it cannot or need not do, with a 4xx that says why, and creates no job', async () => {
    const jobsBefore = (await agent.db.pool.query('SELECT count(*)::int AS n FROM jobs')).rows[0].n as number;
    expect((await register(999_999)).status).toBe(404);
    expect((await register('/tempZone/home/alice/never-landed.zip')).json).toMatchObject({ error: 'not_found' });
    const unknown = await register(archiveId, { server: 'elsewhere' });
    expect([unknown.status, unknown.json.error]).toEqual([400, 'unknown_server']);
    expect(unknown.json.message).toContain('known: facility, partner, inplace');
    const noMount = await register(archiveId, { server: 'inplace', mode: 'ln_s' });
    expect([noMount.status, noMount.json.error]).toEqual([400, 'not_mounted']);
    expect((await register(archiveId, { server: 'partner', colour: 'blue' })).status).toBe(400);
    expect((await register(archiveId, { server: 'partner' }, TEST_READER_TOKEN)).status).toBe(403);
    // The landing job registered it in the default server already: unregister first.
    const again = await register(archiveId);
    expect([again.status, again.json.error]).toEqual([409, 'already_registered']);
    expect(again.json.message).toContain(`irods-omero-agent omero unregister ${landed.target} --server facility`);
    // An archive whose job failed has not expanded.
    await world.alice.client.collections.create('/tempZone/home/alice/taken');
    const lpath = '/tempZone/home/alice/taken.zip';
    const size = await uploadFile(world.alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const failed = (await agent.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
    await waitForJob(agent.db.pool, failed, ['failed']);
    const notExpanded = await register(lpath, { server: 'partner' });
    expect([notExpanded.status, notExpanded.json.error]).toEqual([409, 'not_expanded']);
    const jobsAfter = (await agent.db.pool.query('SELECT count(*)::int AS n FROM jobs')).rows[0].n as number;
    expect(jobsAfter).toBe(jobsBefore + 1); // the failed landing job only
  });

  let registerJob: string;

  it('omero register --server partner: a job that runs the omero step alone, in that server, as its account and group', async () => {
    const defaultAvus = await registrationAvus(landed.target);
    const before = (await world.omero.calls()).length;
    const run = await cli(['omero', 'register', landed.lpath, '--server', 'partner']);
    expect(run.code, run.err.join('\n')).toBe(0);
    const id = /job ([0-9a-f-]{36})/.exec(run.out.join('\n'))?.[1];
    expect(id).toBeDefined();
    registerJob = id as string;
    const job = await waitForJob(agent.db.pool, registerJob);
    expect(job).toMatchObject({ kind: 'omero_register', source_job_id: landed.jobId, step: 'omero', omero_request: { server: 'partner', mode: null, group: null } });

    const calls = (await world.omero.calls()).slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.server === PARTNER)).toBe(true);
    const login = calls.find((c) => c.argv[0] === 'login');
    expect(login?.argv).toEqual(['login', '-s', 'partner.test', '-p', '14064', '-u', 'guest', '-g', 'partners']);
    const partner = await world.omero.state(PARTNER);
    const images = Object.keys(partner.images);
    expect(images).toHaveLength(1);
    expect(Object.values(partner.sessions).every((s) => s.user === 'guest')).toBe(true);

    // Written back under the partner's names; the default server's AVUs as they were.
    const after = await registrationAvus(landed.target);
    expect(after).toEqual(expect.arrayContaining(defaultAvus));
    expect(after).toContain(`irods_omero_agent::omero_server::partner=${PARTNER}`);
    expect(after).toContain('irods_omero_agent::omero_mode::partner=upload');
    expect(after.some((l) => l.endsWith(`:irods_omero_agent::omero_image_id::partner=${images[0] ?? ''}`))).toBe(true);
    // The archive still says what its own job did.
    const status = await agentAvus(world.irods.client, landed.lpath);
    expect([status.status?.[0], status.job?.[0]]).toEqual(['expanded', landed.jobId]);

    // Visible like any other job, with who asked.
    const shown = await api(`/v1/jobs/${registerJob}`);
    expect(shown.json).toMatchObject({ kind: 'omero_register', source_job_id: landed.jobId, state: 'succeeded' });
    expect(shown.json.admin_actions).toEqual([expect.objectContaining({ action: 'omero_register', actor: expect.stringMatching(/^operator:/) as unknown })]);
    const show = await cli(['jobs', 'show', registerJob]);
    expect(show.out.join('\n')).toContain(`omero     registration in server 'partner' of the tree job ${landed.jobId} expanded`);
    const listed = await api(`/v1/jobs?path_prefix=${encodeURIComponent(landed.lpath)}`);
    expect((listed.json.items as Json[]).map((j) => j.kind).sort()).toEqual(['landing', 'omero_register']);
  });

  it('keeps the iRODS metadata of a file in each server it is registered in, as a MapAnnotation on the image there', async () => {
    const files = await world.irods.client.query.genqueryAll(
      `SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME like '${landed.target}%' AND META_DATA_ATTR_NAME = 'irods_omero_agent::omero_image_id::partner'`,
    );
    const [coll = '', name = '', partnerImage = ''] = files[0] ?? [];
    const file = `${coll}/${name}`;
    await world.alice.client.dataObjects.modifyMetadata(file, [{ operation: 'add', attribute: 'stain', value: 'DAPI' }]);
    const res = await agent.postEvent({
      type: 'metadata.changed',
      timestamp: new Date().toISOString(),
      data: { zone: 'tempZone', logical_path: file, entity_type: 'data_object', attributes: ['stain'], user: 'alice', user_zone: 'tempZone', client_user: 'alice#tempZone', pep: 'pep_api_mod_avu_metadata_post' },
    });
    expect(res.status).toBe(202);
    const sync = await waitFor('the sync', async () => {
      const { rows } = await agent.db.pool.query<{ state: string; outcome: Json }>('SELECT state, outcome FROM omero_syncs WHERE id = $1', [res.json.sync_id]);
      return rows[0] && ['succeeded', 'skipped', 'failed'].includes(rows[0].state) ? rows[0] : undefined;
    });
    expect(sync).toMatchObject({ state: 'succeeded', outcome: { action: 'per_server', servers: { facility: { action: 'written' }, partner: { action: 'written', server: PARTNER } } } });
    expect(mapAnnotationsOn(await world.omero.state(PARTNER), `Image:${partnerImage}`)).toMatchObject([{ map: [['stain', 'DAPI']] }]);
    const [, , facilityImage = ''] =
      (await world.irods.client.query.genqueryAll(`SELECT COLL_NAME, DATA_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME = '${coll}' AND DATA_NAME = '${name}' AND META_DATA_ATTR_NAME = 'irods_omero_agent::omero_image_id'`))[0] ?? [];
    expect(mapAnnotationsOn(await world.omero.state(), `Image:${facilityImage}`)).toMatchObject([{ map: [['stain', 'DAPI']] }]);
  });

  it('shows each server\'s registration in the landing job\'s feed item, the default one where it always was', async () => {
    // Items show once no older transaction of the (shared) PostgreSQL server runs: the feed's rule, migration 0002.
    const items = await waitFor('the archive in the feed', async () => {
      const feed = await api('/v1/archives?state=succeeded', { token: TEST_READER_TOKEN });
      const found = (feed.json.items as Json[]).filter((i) => (i.archive as Json).path === landed.lpath);
      return found.length ? found : undefined;
    });
    expect(items.map((i) => i.job_id)).toEqual([landed.jobId]);
    const item = items[0] as Json & { omero_registrations: Record<string, Json>; steps: Record<string, { detail: Json }> };
    expect(Object.keys(item.omero_registrations).sort()).toEqual(['facility', 'partner']);
    expect(item.omero_registrations.partner).toMatchObject({ job_id: registerJob, on_demand: true, state: 'succeeded', omero: { server: PARTNER, server_name: 'partner' } });
    expect(item.omero_registrations.facility).toMatchObject({ job_id: landed.jobId, on_demand: false, omero: { server: 'omero.test:4064' } });
    expect(item.steps.omero?.detail.omero).toMatchObject({ server: 'omero.test:4064' });
  });

  it('refuses a second registration there (unregister first), and replays the job like any other, keeping its ids', async () => {
    const again = await register(archiveId, { server: 'partner' });
    expect([again.status, again.json.error]).toEqual([409, 'already_registered']);
    expect(again.json.message).toContain('--server partner');

    const before = await registrationAvus(landed.target);
    const replay = await api(`/v1/jobs/${registerJob}/replay`, { method: 'POST', body: {} });
    expect([replay.status, replay.json.from]).toEqual([202, 'omero']);
    expect((await api(`/v1/jobs/${registerJob}/replay`, { method: 'POST', body: { from: 'expand' } })).status).toBe(409);
    const job = await waitForJob(agent.db.pool, registerJob);
    expect(job.run).toBe(2);
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND run = 2 AND step = 'omero'", [registerJob]);
    expect(rows[0].detail.omero).toMatchObject({ kept_from_run: 1, server_name: 'partner' });
    expect(Object.keys((await world.omero.state(PARTNER)).images)).toHaveLength(1);
    expect(await registrationAvus(landed.target)).toEqual(before);
  });

  it('a replay of the landing job rewrites the default server\'s AVUs and leaves the partner\'s alone', async () => {
    const before = await registrationAvus(landed.target);
    expect(before.filter((l) => l.includes('::partner=')).length).toBeGreaterThan(1);
    const replay = await api(`/v1/jobs/${landed.jobId}/replay`, { method: 'POST', body: { from: 'omero' } });
    expect(replay.status).toBe(202);
    await waitForJob(agent.db.pool, landed.jobId);
    expect(await registrationAvus(landed.target)).toEqual(before);
  });

  const unregister = async (server: string) => {
    const res = await api('/v1/archives/omero/unregister', { method: 'POST', body: { path: landed.target, server } });
    expect([res.status, res.json.outcome], JSON.stringify(res.json)).toEqual([202, 'queued']);
    // The landing job's own run, never the register job's (both name the archive and the tree).
    expect(res.json.job_id).toBe(landed.jobId);
    await waitForJob(agent.db.pool, landed.jobId);
  };
  const feedItem = () =>
    waitFor('the archive in the feed', async () => {
      const feed = await api('/v1/archives?state=succeeded', { token: TEST_READER_TOKEN });
      return (feed.json.items as (Json & { omero_registrations: Record<string, Json> })[]).find((i) => (i.archive as Json).path === landed.lpath);
    });

  it('after unregistering the default server, registers there again although the partner\'s attributes start with the same names', async () => {
    await unregister('facility');
    const left = await registrationAvus(landed.target);
    expect(left.filter((l) => !l.includes('::partner')), left.join('\n')).toEqual([]);
    const again = await register(archiveId, { server: 'facility' });
    expect(again.status, JSON.stringify(again.json)).toBe(202);
    const job = await waitForJob(agent.db.pool, again.json.job_id as string);
    expect(job).toMatchObject({ kind: 'omero_register', omero_request: { server: 'facility' } });
    expect(await registrationAvus(landed.target)).toContain('irods_omero_agent::omero_server=omero.test:4064');
  });

  it('after unregistering the partner, the feed no longer shows its registration, and it may be registered there again', async () => {
    await unregister('partner');
    expect((await registrationAvus(landed.target)).some((l) => l.includes('::partner'))).toBe(false);
    const item = await feedItem();
    expect(Object.keys(item?.omero_registrations ?? {})).toEqual(['facility']);
    const again = await register(archiveId, { server: 'partner' });
    expect(again.status, JSON.stringify(again.json)).toBe(202);
    await waitForJob(agent.db.pool, again.json.job_id as string);
    expect((await registrationAvus(landed.target)).some((l) => l.includes('omero_server::partner='))).toBe(true);
  });
});

describe('registering on demand with OMERO switched off', () => {
  it('is refused with a 409', async () => {
    const off = await startTestAgent({ label: 'omero-on-demand-off', irods: world.irods.client });
    try {
      const res = await fetch(`${off.url}/v1/archives/1/omero`, { method: 'POST', headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: 'omero_disabled' });
    } finally {
      await off.close();
    }
  });
});
