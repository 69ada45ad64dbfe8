import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landedEvent, startTestAgent, TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import { startOmeroStandin, type OmeroStandin, type StandinCall } from '../../standins/omero-cli/index.js';

// The omero step in place (OMERO_MODE=ln_s): the agent hands OMERO the expanded collection where
// an NFSRODS mount shows it (the stand-in reads that "mount" through the iRODS HTTP API), learns
// the new ids, and writes them back as AVUs and into the archives feed.

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
const MOUNT = '/mnt/irods-nfsrods';
const CONNECTION = ['-s', 'omero.test', '-p', '4064', '-u', 'agent'];
const NS = 'irods_omero_agent::omero_';

let irods: IrodsForTest;
let agent: TestAgent;
let omero: OmeroStandin;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
let folders = 0;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  omero = await startOmeroStandin({
    control: { nfsrods: { url: irods.standin.baseUrl, zone: irods.zone, mount: MOUNT, user: 'rods', password: 'rods' } },
  });
  agent = await startTestAgent({
    label: 'omero-ln-s',
    irods: irods.client,
    workers: true,
    env: omero.agentEnv({ OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: MOUNT, AGENT_STEP_BACKOFF_MS: '500' }),
  });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await omero?.close();
});

async function land(localPath: string, on: TestAgent = agent) {
  const folder = `/tempZone/home/alice/omero-${++folders}`;
  await alice.client.collections.create(folder);
  const lpath = `${folder}/${basename(localPath)}`;
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await on.postEvent(landedEvent(lpath, { size }));
  return { lpath, target: lpath.replace(/\.(zip|tar)$/, ''), jobId: res.json.job_id as string };
}

/** The agent's OMERO AVUs of an object, as "attribute=value|units", sorted. */
async function idAvus(lpath: string, kind: 'data_object' | 'collection'): Promise<string[]> {
  const i = lpath.lastIndexOf('/');
  const rows =
    kind === 'collection'
      ? await irods.client.query.genqueryAll(
          `SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS WHERE COLL_NAME = '${lpath}' AND META_COLL_ATTR_NAME like '${NS}%'`,
        )
      : await irods.client.query.genqueryAll(
          `SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME = '${lpath.slice(0, i)}' AND DATA_NAME = '${lpath.slice(i + 1)}' AND META_DATA_ATTR_NAME like '${NS}%'`,
        );
  return rows.map(([a, v, u]) => `${(a ?? '').slice(NS.length)}=${v}|${u}`).sort();
}

interface OmeroDetail {
  server: string;
  mode: string;
  run: number;
  kept_from_run?: number;
  images: { source_id: string; omero_id: string; path: string }[];
  projects: { source_id: string; omero_id: string | null; name: string | null }[];
  datasets: { source_id: string; omero_id: string | null; name: string | null }[];
}

async function omeroDetail(jobId: string, run: number): Promise<OmeroDetail> {
  const { rows } = await agent.db.pool.query<{ detail: { omero: OmeroDetail } }>(
    "SELECT detail FROM job_steps WHERE job_id = $1 AND run = $2 AND step = 'omero'",
    [jobId, run],
  );
  return rows[0]?.detail.omero as OmeroDetail;
}

/** The archive's error AVU: written just after the job row says failed, so waited for. */
async function archiveError(lpath: string): Promise<string> {
  return waitFor(`the error AVU on ${lpath}`, async () => (await agentAvus(irods.client, lpath)).error?.[0]);
}

async function callsSince(count: number): Promise<StandinCall[]> {
  return (await omero.calls()).slice(count);
}

async function replay(jobId: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${agent.url}/v1/jobs/${jobId}/replay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
}

describe('the omero step, in place (ln_s)', () => {
  let project: { lpath: string; target: string; jobId: string };
  let calls: StandinCall[];

  beforeAll(async () => {
    const before = (await omero.calls()).length;
    project = await land(`${FIXTURES}valid_single_project.zip`);
    await waitForJob(agent.db.pool, project.jobId);
    calls = await callsSince(before);
  });

  it('runs omero transfer unpack --folder on the mount path with --ln_s_import --merge, after one login', () => {
    expect(calls.map((c) => c.argv[0])).toEqual(['login', 'transfer', 'hql', 'hql', 'hql', 'logout']);
    expect(calls[0]?.argv).toEqual(['login', ...CONNECTION]);
    expect(calls[1]?.argv).toEqual([
      'transfer',
      ...CONNECTION,
      'unpack',
      '--folder',
      '--ln_s_import',
      '--merge',
      `${MOUNT}${project.target.slice('/tempZone'.length)}`,
    ]);
    expect(calls.every((c) => c.exit === 0)).toBe(true);
  });

  it('never puts the password on a command line: only login gets it, from the environment; the others join its session', async () => {
    for (const call of calls) {
      expect(call.argv).not.toContain('-w');
      expect(call.argv.join(' ')).not.toContain(omero.password);
    }
    expect(calls.map((c) => c.env.OMERO_PASSWORD)).toEqual([true, false, false, false, false, false]);
    expect(calls[0]?.auth).toBe('password_env');
    expect(calls.slice(1, -1).every((c) => c.auth === 'session')).toBe(true);
    const dirs = new Set(calls.map((c) => c.env.OMERO_SESSIONDIR));
    expect(dirs.size).toBe(1);
    // The job's private session directory is gone, and its session closed on the server.
    await expect(access([...dirs][0] as string)).rejects.toThrow();
    const state = await omero.state();
    expect(Object.values(state.sessions).every((s) => !s.alive)).toBe(true);
  });

  it('registers the files in place, as OMERO reads them through the mount', async () => {
    const state = await omero.state();
    const mounted = `${MOUNT.slice(1)}${project.target.slice('/tempZone'.length)}/`;
    const filesets = Object.values(state.filesets).filter((f) => f.client_paths.some((p) => p.startsWith(mounted)));
    expect(filesets).toHaveLength(3);
    expect(filesets.every((f) => f.in_place)).toBe(true);
    expect(filesets.flatMap((f) => f.client_paths)).toContain(
      `${MOUNT.slice(1)}${project.target.slice('/tempZone'.length)}/./root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png`,
    );
  });

  it('writes the new ids back as AVUs: image ids on the files, the containers and the server on the collection', async () => {
    const detail = await omeroDetail(project.jobId, 1);
    const state = await omero.state();
    const byName = (name: string) => Object.entries(state.images).find(([, i]) => i.name === name)?.[0];
    const cycle3 = byName('cycle3.ome_result_colored.png');
    expect(cycle3).toBeDefined();
    expect(detail.images).toEqual(
      expect.arrayContaining([{ source_id: '51', omero_id: cycle3, path: 'root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png' }]),
    );
    expect(detail.images).toHaveLength(3);
    expect(await idAvus(`${project.target}/root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png`, 'data_object')).toEqual([
      `image_id=${cycle3}|image:51`,
    ]);
    const pixelImage = detail.images.find((i) => i.source_id === '52');
    expect(pixelImage?.path).toBe('pixel_images/52.tiff');
    expect(await idAvus(`${project.target}/pixel_images/52.tiff`, 'data_object')).toEqual([`image_id=${pixelImage?.omero_id}|image:52`]);

    const testproj = Object.entries(state.projects).find(([, p]) => p.name === 'testproj')?.[0];
    expect(detail.projects).toEqual([{ source_id: '1', omero_id: testproj, name: 'testproj' }]);
    expect(detail.datasets.every((d) => d.omero_id !== null)).toBe(true);
    const root = await idAvus(project.target, 'collection');
    expect(root).toEqual(
      expect.arrayContaining(['server=omero.test:4064|', 'mode=ln_s|', `project_id=${testproj}|project:1`]),
    );
    expect(root.filter((a) => a.startsWith('dataset_id='))).toHaveLength(detail.datasets.length);
    expect(root.filter((a) => a.startsWith('registered_at='))).toHaveLength(1);
  });

  it('shows the ids in the archives feed OMERO-side tools poll', async () => {
    type FeedItem = { job_id: string; target_path: string; steps: Record<string, { detail: { omero?: OmeroDetail } }> };
    // Transaction ids are cluster-wide: another test file's open transaction can hold the item back
    // for a moment (the feed's stable cursor), so poll until it shows.
    const item = await waitFor('the job in the archives feed', async () => {
      const res = await fetch(`${agent.url}/v1/archives?state=succeeded`, { headers: { authorization: `Bearer ${TEST_READER_TOKEN}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: FeedItem[] }).items.find((i) => i.job_id === project.jobId);
    });
    expect(item?.target_path).toBe(project.target);
    const omeroStep = item?.steps.omero?.detail.omero;
    expect(omeroStep).toMatchObject({ server: 'omero.test:4064', mode: 'ln_s' });
    expect(omeroStep?.images).toHaveLength(3);
  });

  it('keeps the ids on a replay of the whole job: no second import, the AVUs unchanged', async () => {
    const mine = await land(`${FIXTURES}valid_single_project.zip`);
    await waitForJob(agent.db.pool, mine.jobId);
    const first = await omeroDetail(mine.jobId, 1);
    const tiff = `${mine.target}/pixel_images/52.tiff`;
    const beforeAvus = { root: await idAvus(mine.target, 'collection'), tiff: await idAvus(tiff, 'data_object') };
    const before = (await omero.calls()).length;
    await replay(mine.jobId);
    await waitForJob(agent.db.pool, mine.jobId);
    expect(await callsSince(before)).toEqual([]);
    const kept = await omeroDetail(mine.jobId, 2);
    expect(kept.kept_from_run).toBe(1);
    expect(kept.images).toEqual(first.images);
    expect(await idAvus(mine.target, 'collection')).toEqual(beforeAvus.root);
    expect(await idAvus(tiff, 'data_object')).toEqual(beforeAvus.tiff);
  });

  it('registers again when an admin removed the server AVU, replacing the ids instead of adding to them', async () => {
    const mine = await land(`${FIXTURES}valid_single_project.zip`);
    await waitForJob(agent.db.pool, mine.jobId);
    const previous = await omeroDetail(mine.jobId, 1);
    await irods.client.collections.modifyMetadata(mine.target, [{ operation: 'remove', attribute: `${NS}server`, value: 'omero.test:4064' }]);
    const before = (await omero.calls()).length;
    await replay(mine.jobId, { from: 'omero' });
    await waitForJob(agent.db.pool, mine.jobId);
    expect((await callsSince(before)).filter((c) => c.argv[0] === 'transfer')).toHaveLength(1);
    const again = await omeroDetail(mine.jobId, 2);
    expect(again.kept_from_run).toBeUndefined();
    const oldIds = new Set(previous.images.map((i) => i.omero_id));
    expect(again.images.every((i) => !oldIds.has(i.omero_id))).toBe(true);
    for (const image of again.images) {
      expect(await idAvus(`${mine.target}/${image.path}`, 'data_object')).toEqual([`image_id=${image.omero_id}|image:${image.source_id}`]);
    }
    // --merge: the project of the first registration was reused, not duplicated.
    expect(again.projects).toEqual(previous.projects);
    const root = await idAvus(mine.target, 'collection');
    expect(root.filter((a) => a.startsWith('project_id='))).toEqual([`project_id=${again.projects[0]?.omero_id}|project:1`]);
    expect(root.filter((a) => a.startsWith('server='))).toEqual(['server=omero.test:4064|']);
  });

  it('fails the job at once when OMERO refuses the login, and says so on the archive', async () => {
    await omero.control({ password: 'not-what-the-agent-sends' });
    try {
      const { lpath, jobId } = await land(`${FIXTURES}valid_single_image.zip`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.step).toBe('omero');
      expect(job.error_code).toBe('omero_login_refused');
      const { rows } = await agent.db.pool.query("SELECT attempts FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
      expect(rows[0].attempts).toBe(1);
      const error = await archiveError(lpath);
      expect((await agentAvus(irods.client, lpath)).status).toEqual(['failed']);
      expect(error).toMatch(/OMERO at omero\.test:4064 refused the login of "agent".*OMERO_PASSWORD.*Nothing was registered/);
    } finally {
      await omero.control({ password: omero.password });
    }
  });

  it('says when in-place import cannot reach OMERO\'s ManagedRepository from the agent host, keeping the importer\'s words', async () => {
    await omero.control({ import_failures: { 'cycle4.ome_cells.png': 'managed_repository' } });
    try {
      const { lpath, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_import_failed');
      const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
      const lines = rows[0].detail.omero.import.error_lines as string[];
      expect(lines).toEqual(expect.arrayContaining(['You likely do not have access to the ManagedRepository for in-place import.']));
      expect(lines.some((l) => /^Check failed: \/OMERO\/ManagedRepository\/.* does not exist!$/.test(l))).toBe(true);
      const error = await archiveError(lpath);
      expect(error).toMatch(/OMERO registered 0 of the 1 images.*1 import error\(s\) were reported \(the importer said: "FILE_EXCEPTION: /);
      expect(error).toMatch(/In-place import \(ln_s\) needs the agent host to see OMERO's ManagedRepository/);
    } finally {
      await omero.control({ import_failures: {} });
    }
  });

  it('says when the OMERO server cannot read the linked files through its mount', async () => {
    await omero.control({ import_failures: { 'cycle4.ome_cells.png': 'server_read' } });
    try {
      const { lpath, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_import_failed');
      const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
      expect(rows[0].detail.omero.import.error_lines).toEqual(expect.arrayContaining(['The server could not check the size of the file:']));
      const error = await archiveError(lpath);
      expect(error).toMatch(/The OMERO server could not read the files through its mount: the iRODS account NFSRODS maps the server's OS user to needs read access/);
      // The link the importer made is left in the ManagedRepository: a cleanup matter.
      expect(error).toMatch(/issue #12/);
    } finally {
      await omero.control({ import_failures: {} });
    }
  });

  it('stops a running unpack, imports and all, when an administrator cancels the job', async () => {
    await omero.control({ fail: 'hang' });
    try {
      const { jobId } = await land(`${FIXTURES}valid_single_image.zip`);
      // Not just the step row: a retried attempt also shows 'running' before its import starts.
      await waitFor('the import to be under way', () => existsSync(join(omero.dir, 'unpack-hanging')), { timeoutMs: 30_000 });
      const res = await fetch(`${agent.url}/v1/jobs/${jobId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
      expect(res.status).toBe(202);
      const job = await waitForJob(agent.db.pool, jobId, ['cancelled'], 30_000);
      expect(job.warnings.map(String).join(' ')).toMatch(/OMERO import was stopped part way by the cancel.*issue #12/);
    } finally {
      await omero.control({ fail: null });
    }
  });

  it('retries while OMERO cannot be reached, and registers once it is back', async () => {
    await omero.control({ fail: 'refuse_connection' });
    let jobId = '';
    try {
      ({ jobId } = await land(`${FIXTURES}valid_single_image.tar`));
      await waitFor(
        'a second attempt of the omero step',
        async () => {
          const { rows } = await agent.db.pool.query("SELECT attempts, error_code FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
          return rows[0]?.attempts >= 2 && rows[0]?.error_code === 'omero_unreachable';
        },
        { timeoutMs: 30_000 },
      );
    } finally {
      await omero.control({ fail: null });
    }
    await waitForJob(agent.db.pool, jobId);
    expect((await omeroDetail(jobId, 1)).images).toHaveLength(1);
  });
});

describe('a mount showing a collection below the zone (NFSRODS irods_mount_point = /tempZone/home)', () => {
  const HOME_MOUNT = '/mnt/irods-home';
  let homeAgent: TestAgent;
  let outsideAgent: TestAgent;

  beforeAll(async () => {
    await omero.control({ nfsrods: { url: irods.standin.baseUrl, zone: irods.zone, mount: HOME_MOUNT, user: 'rods', password: 'rods', mount_point: '/tempZone/home' } });
    const env = { OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: HOME_MOUNT } as const;
    homeAgent = await startTestAgent({ label: 'omero-home-mount', irods: irods.client, workers: true, env: omero.agentEnv({ ...env, OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home' }) });
    outsideAgent = await startTestAgent({ label: 'omero-bob-mount', irods: irods.client, workers: true, env: omero.agentEnv({ ...env, OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home/bob' }) });
  });
  afterAll(async () => {
    await homeAgent?.close();
    await outsideAgent?.close();
    await omero.control({ nfsrods: { url: irods.standin.baseUrl, zone: irods.zone, mount: MOUNT, user: 'rods', password: 'rods' } });
  });

  it('hands OMERO the collection where that mount shows it (no /home in the path)', async () => {
    const before = (await omero.calls()).length;
    const { target, jobId } = await land(`${FIXTURES}valid_single_image.zip`, homeAgent);
    await waitForJob(homeAgent.db.pool, jobId);
    const unpack = (await callsSince(before)).find((c) => c.argv[0] === 'transfer');
    expect(unpack?.argv.at(-1)).toBe(`${HOME_MOUNT}${target.slice('/tempZone/home'.length)}`);
    expect(unpack?.exit).toBe(0);
    const { rows } = await homeAgent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
    expect(rows[0].detail.omero.images).toHaveLength(1);
  });

  it('refuses, before calling OMERO, an archive the mount does not show', async () => {
    const before = (await omero.calls()).length;
    const { lpath, jobId } = await land(`${FIXTURES}valid_single_image.zip`, outsideAgent);
    const job = await waitForJob(outsideAgent.db.pool, jobId, ['failed']);
    expect(job.error_code).toBe('omero_not_mounted');
    expect(await callsSince(before)).toEqual([]);
    expect(await archiveError(lpath)).toMatch(/is not under \/tempZone\/home\/bob, the collection OMERO sees at \/mnt\/irods-home \(OMERO_IRODS_MOUNT_COLLECTION/);
  });
});
