import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, TEST_OPERATOR_TOKEN, type TestAgent } from '../../support/agent.js';
import { waitForJob } from '../../support/pipeline.js';
import { useOmeroWorld, type Landed } from './landing.js';

// `omero unregister --server NAME` with several OMERO servers in configuration: only that server
// is called, and only its registration AVUs (`…::<name>` for a server that is not the default)
// go; the default server's registration of the same tree stays.

const PARTNER = 'omero.partner:4064';
const world = useOmeroWorld('unregister-servers', () => ({ servers: { [PARTNER]: { password: 'partner-pass' } } }));

let agent: TestAgent;
let landed: Landed;

beforeAll(async () => {
  const env = await world.omero.agentEnvWithServers([
    { name: 'main', host: 'omero.test', user: 'agent', password: world.omero.password, default: true },
    { name: 'partner', host: 'omero.partner', user: 'guest', password: 'partner-pass' },
  ]);
  agent = await startTestAgent({ label: 'omero-unregister-servers', irods: world.irods.client, workers: true, env });
  landed = await world.land(agent, 'valid_single_image.zip');
  await waitForJob(agent.db.pool, landed.jobId);
});
afterAll(async () => {
  await agent?.close();
});

async function unregister(body: Record<string, unknown>) {
  const res = await fetch(`${agent.url}/v1/archives/omero/unregister`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The tree root's and its files' `irods_omero_agent::omero_*` attributes, as "attribute=value". */
async function registrationAvus(): Promise<string[]> {
  const q = world.irods.client.query;
  const rows = [
    ...(await q.genqueryAll(`SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE WHERE COLL_NAME like '${landed.target}%' AND META_COLL_ATTR_NAME like 'irods_omero_agent::omero_%'`)),
    ...(await q.genqueryAll(`SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME like '${landed.target}%' AND META_DATA_ATTR_NAME like 'irods_omero_agent::omero_%'`)),
  ];
  return rows.map(([a, v]) => `${a}=${v}`).sort();
}

describe('unregister with several servers', () => {
  it('refuses a server the configuration does not name, and one the tree is not registered in', async () => {
    expect(await unregister({ path: landed.target, server: 'nowhere' })).toMatchObject({ status: 400, json: { error: 'unknown_server' } });
    const res = await unregister({ path: landed.target, server: 'partner' });
    expect(res).toMatchObject({ status: 409, json: { error: 'not_registered' } });
    expect(res.json.message).toContain('irods_omero_agent::omero_server::partner');
  });

  it('--server partner removes only the partner\'s registration, talking only to the partner', async () => {
    const mainAvus = await registrationAvus();
    expect(mainAvus.some((a) => a.startsWith('irods_omero_agent::omero_server=omero.test:4064'))).toBe(true);
    // A registration in the partner server, as registrations there are named; its image is gone there already.
    const file = (await world.irods.client.query.genqueryAll(
      `SELECT COLL_NAME, DATA_NAME WHERE COLL_NAME like '${landed.target}%' AND META_DATA_ATTR_NAME = 'irods_omero_agent::omero_image_id'`,
    ))[0]!;
    await world.irods.client.collections.modifyMetadata(
      landed.target,
      [
        { operation: 'add', attribute: 'irods_omero_agent::omero_server::partner', value: PARTNER },
        { operation: 'add', attribute: 'irods_omero_agent::omero_mode::partner', value: 'upload' },
      ],
      { admin: true },
    );
    await world.irods.client.dataObjects.modifyMetadata(`${file[0]}/${file[1]}`, [{ operation: 'add', attribute: 'irods_omero_agent::omero_image_id::partner', value: '77', units: 'image:1' }], { admin: true });
    const callsBefore = (await world.omero.calls()).length;

    const res = await unregister({ path: landed.lpath, server: 'partner' });
    expect(res).toMatchObject({ status: 202, json: { outcome: 'queued', server: 'partner' } });
    const job = await waitForJob(agent.db.pool, landed.jobId);
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND run = $2 AND step = 'unregister'", [landed.jobId, job.run]);
    expect(rows[0].detail.omero_unregister).toMatchObject({ outcome: 'unregistered', server: 'partner', address: PARTNER, omero: { already_gone: ['Image:77'] } });

    expect(await registrationAvus()).toEqual(mainAvus);
    const calls = (await world.omero.calls()).slice(callsBefore);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.server === PARTNER)).toBe(true);
  });

  it('then the default server (no --server): its images go, the tree is left without any registration', async () => {
    const images = Object.keys((await world.omero.state()).images);
    expect(images.length).toBeGreaterThan(0);
    expect((await unregister({ path: landed.target })).json).toMatchObject({ outcome: 'queued', server: 'main' });
    await waitForJob(agent.db.pool, landed.jobId);
    expect(await registrationAvus()).toEqual([]);
    expect(Object.keys((await world.omero.state()).images)).toEqual([]);
  });
});
