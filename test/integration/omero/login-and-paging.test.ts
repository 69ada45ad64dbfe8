import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { parseTransferXml } from '../../../src/ome/index.js';
import { lookupRegistration, openOmeroSession, REGISTRATION_QUERIES, type Registration } from '../../../src/omero/index.js';
import { startTestAgent, type TestAgent } from '../../support/agent.js';
import { waitForJob } from '../../support/pipeline.js';
import { omeroAttempts, useOmeroWorld } from './landing.js';

// Logins OMERO.py refuses the way the real CLI does (a group the account may not use arrives
// as the catch-all status 556; OMERO.py will not run as root), and paging through `omero hql`
// over more rows than one page, with a stand-in that hands rows back in no particular order.

const world = useOmeroWorld('login');
const { land, archiveError } = world;

describe('logins OMERO.py refuses', () => {
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await startTestAgent({
      label: 'omero-login',
      irods: world.irods.client,
      workers: true,
      env: world.omero.agentEnv({ OMERO_GROUP: 'imaging', AGENT_STEP_BACKOFF_MS: '200' }),
    });
  });
  afterAll(async () => agent?.close());

  it('fails at once, without retrying, when the server refuses the group (status 556, WrappedCreateSessionException)', async () => {
    await world.omero.control({ groups: ['lab'] });
    try {
      const { lpath, jobId } = await land(agent, 'valid_single_image.zip');
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_login_refused');
      expect(await omeroAttempts(agent, jobId)).toBe(1);
      const login = (await world.omero.calls()).filter((c) => c.argv[0] === 'login').at(-1);
      expect(login?.exit).toBe(556);
      expect(await archiveError(lpath)).toMatch(
        /refused the login of "agent" \(User 2 is not a member of group \d+ and cannot login \(ome\.conditions\.SecurityViolation\)\).*in the group "imaging"/,
      );
    } finally {
      await world.omero.control({ groups: undefined });
    }
  });

  it('says that OMERO.py refuses to run as root, and does not retry', async () => {
    await world.omero.control({ run_as_root: true });
    try {
      const { lpath, jobId } = await land(agent, 'valid_single_image.zip');
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.error_code).toBe('omero_cli_as_root');
      expect(await omeroAttempts(agent, jobId)).toBe(1);
      expect(await archiveError(lpath)).toMatch(/refuses to run as root .*run its workers as an unprivileged user/);
    } finally {
      await world.omero.control({ run_as_root: false });
    }
  });
});

describe('paging through omero hql', () => {
  it('orders every projection, so pages neither repeat nor skip rows', () => {
    for (const query of Object.values(REGISTRATION_QUERIES)) expect(query('1, 2')).toMatch(/ order by [a-z]+\.[a-zA-Z]+, [a-z]+\.[a-zA-Z]+$/);
  });

  it('finds every image, plate and screen of an 81-image screen with pages of 20 rows', async () => {
    const agent = await startTestAgent({ label: 'omero-paging', irods: world.irods.client, workers: true, env: world.omero.agentEnv() });
    let registered: { omero: Registration & { folder: string } };
    let target: string;
    try {
      const landed = await land(agent, 'simple_screen.zip');
      target = landed.target;
      await waitForJob(agent.db.pool, landed.jobId);
      const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [landed.jobId]);
      registered = rows[0].detail;
    } finally {
      await agent.close();
    }
    expect(registered.omero.images).toHaveLength(81);

    const env = world.omero.agentEnv();
    const session = await openOmeroSession({
      executable: world.omero.executable,
      connection: { host: env.OMERO_HOST as string, port: Number(env.OMERO_PORT), user: env.OMERO_USER as string },
      password: world.omero.password,
      env: Object.fromEntries(Object.entries(env).filter(([k]) => /^(PATH|HOME|OMERO_STANDIN_\w+)$/.test(k))),
      queryTimeoutMs: 30_000,
      log: createLogger({ level: 'silent' }),
    });
    try {
      const model = parseTransferXml(await world.irods.client.dataObjects.read(`${target}/transfer.xml`), { maxBytes: 1 << 24 });
      const expectedPaths = new Set(registered.omero.images.map((i) => i.path));
      const imageIds = registered.omero.images.map((i) => i.omero_id);
      const paged = await lookupRegistration(session.cli, { model, imageIds, folder: registered.omero.folder, expectedPaths, pageSize: 20 });
      expect(paged.images).toEqual(registered.omero.images);
      expect(paged.plates).toEqual(registered.omero.plates);
      expect(paged.screens).toEqual(registered.omero.screens);
      expect(paged.unmatched_omero_images).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
