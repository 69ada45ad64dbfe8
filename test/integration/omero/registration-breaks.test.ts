import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrationBreaks } from '../../../src/store/index.js';
import { startTestAgent, TEST_READER_TOKEN, type TestAgent } from '../../support/agent.js';
import { agentAvus, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import { useOmeroWorld, type Landed } from './landing.js';

// Registered data stays where OMERO expects it: when an administrator renames or removes data
// OMERO reads in place anyway, the rules report it (registered_data.changed) and the agent marks
// the archive's registration broken, on the archive (AVUs) and in the archives feed, so OMERO-side
// tools can react.

const MOUNT = '/mnt/irods-nfsrods';

const world = useOmeroWorld('breaks', (irods) => ({
  nfsrods: { url: irods.standin.baseUrl, zone: irods.zone, mount: MOUNT, user: 'rods', password: 'rods' },
}));

let agent: TestAgent;
let inPlace: Landed & { file: string };

beforeAll(async () => {
  agent = await startTestAgent({
    label: 'omero-breaks',
    irods: world.irods.client,
    workers: true,
    env: world.omero.agentEnv({ OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: MOUNT }),
  });
  const landed = await world.land(agent, 'valid_single_image.zip');
  await waitForJob(agent.db.pool, landed.jobId);
  const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [landed.jobId]);
  inPlace = { ...landed, file: `${landed.target}/${rows[0].detail.omero.images[0].path as string}` };
});
afterAll(async () => {
  await agent?.close();
});

/** What the Python rules send after an administrator's irm or imv of registered data. */
function registeredDataChanged(lpath: string, operation: 'renamed' | 'removed', entityType: 'data_object' | 'collection', destination?: string) {
  return {
    type: 'registered_data.changed',
    timestamp: new Date().toISOString(),
    data: {
      zone: 'tempZone',
      logical_path: lpath,
      entity_type: entityType,
      operation,
      ...(destination ? { destination_logical_path: destination } : {}),
      user: 'rods',
      user_zone: 'tempZone',
      client_user: 'rods#tempZone',
      pep: operation === 'renamed' ? 'pep_api_data_obj_rename_post' : 'pep_api_data_obj_unlink_post',
    },
  };
}

interface FeedItem {
  job_id: string;
  state: string;
  omero_registration: null | { state: string; changes: { path: string; operation: string; destination: string | null; changed_by: string }[] };
}

async function feed(cursor?: string): Promise<{ items: FeedItem[]; next_cursor: string | null }> {
  const res = await fetch(`${agent.url}/v1/archives?state=succeeded${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${TEST_READER_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { items: FeedItem[]; next_cursor: string | null };
}

describe('a registration broken in iRODS', () => {
  it('an administrator removing a registered file marks the archive: an AVU with a sentence, and the feed, past a poller\'s cursor', async () => {
    // The archive is in the feed once no older transaction of the cluster is still running (the
    // feed's rule, migration 0002; other databases of a shared server count too): waited for.
    const before = await waitFor('the archive in the feed', async () => {
      const page = await feed();
      return page.items.some((i) => i.job_id === inPlace.jobId) ? page : undefined;
    });
    expect(before.items.find((i) => i.job_id === inPlace.jobId)?.omero_registration).toBeNull();

    const res = await agent.postEvent(registeredDataChanged(inPlace.file, 'removed', 'data_object'));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ accepted: true, status: 'accepted', job_ids: [inPlace.jobId] });

    const avus = await waitFor('the registration AVUs on the archive', async () => {
      const found = await agentAvus(world.irods.client, inPlace.lpath);
      return found.registration ? found : undefined;
    });
    expect(avus.registration).toEqual(['broken']);
    expect(avus.registration_error?.[0]).toMatch(new RegExp(`registered in place\\), and ${inPlace.file} was removed by rods#tempZone at .*: its images in OMERO can no longer be read there`));
    // The job's own status AVUs are untouched.
    expect(avus.status).toEqual(['expanded']);

    // A poller that kept its cursor sees the archive again, now broken (once no older
    // transaction of the cluster is still running: the feed's rule, migration 0002).
    const item = await waitFor('the archive to come back in the feed', async () =>
      (await feed(before.next_cursor ?? undefined)).items.find((i) => i.job_id === inPlace.jobId),
    );
    expect(item?.state).toBe('succeeded');
    expect(item?.omero_registration).toEqual({
      state: 'broken',
      changes: [expect.objectContaining({ path: inPlace.file, operation: 'removed', destination: null, changed_by: 'rods#tempZone' })],
    });
  });

  it('a rename of a collection above the tree is found too; the sentence names the latest change and counts them', async () => {
    const home = inPlace.target.slice(0, inPlace.target.lastIndexOf('/'));
    const res = await agent.postEvent(registeredDataChanged(home, 'renamed', 'collection', `${home}-moved`));
    expect(res.json).toMatchObject({ status: 'accepted', job_ids: [inPlace.jobId] });
    const error = await waitFor('the sentence to name the rename', async () => {
      const sentence = (await agentAvus(world.irods.client, inPlace.lpath)).registration_error?.[0];
      return sentence?.includes('renamed') ? sentence : undefined;
    });
    expect(error).toContain(`the collection ${home} was renamed to ${home}-moved`);
    expect(error).toContain('2 such changes in all');
    expect((await agentAvus(world.irods.client, inPlace.lpath)).registration).toEqual(['broken']);
  });

  it('a replay of the job keeps the mark: status writes leave the registration AVUs alone', async () => {
    const { writeArchiveStatus } = await import('../../../src/pipeline/archive-status.js');
    await writeArchiveStatus(world.irods.client, inPlace.lpath, { status: 'running', jobId: inPlace.jobId, step: 'omero' });
    const avus = await agentAvus(world.irods.client, inPlace.lpath);
    expect(avus.status).toEqual(['running']);
    expect(avus.registration).toEqual(['broken']);
  });

  it('a break whose AVUs iRODS did not take is written by the periodic pass', async () => {
    // As the intake leaves it when its write fails (iRODS away): recorded, not yet on the archive.
    const { rows } = await agent.db.pool.query<{ id: string }>('SELECT id FROM events ORDER BY received_at DESC LIMIT 1');
    await registrationBreaks.recordBreak(agent.db.pool, {
      jobId: inPlace.jobId,
      archiveId: (await agent.db.pool.query<{ archive_id: number }>('SELECT archive_id FROM jobs WHERE id = $1', [inPlace.jobId])).rows[0]?.archive_id ?? 0,
      eventId: rows[0]?.id ?? '',
      logicalPath: `${inPlace.target}/transfer.xml`,
      entityType: 'data_object',
      operation: 'removed',
      destination: undefined,
      changedBy: 'rods#tempZone',
    });
    const error = await waitFor('the periodic pass to write the third break', async () => {
      const sentence = (await agentAvus(world.irods.client, inPlace.lpath)).registration_error?.[0];
      return sentence?.includes('3 such changes') ? sentence : undefined;
    });
    expect(error).toContain(`${inPlace.target}/transfer.xml was removed`);
  });

  it('an archive removed since: the break is in the feed, and why no AVU says it is recorded', async () => {
    await world.alice.client.dataObjects.remove(inPlace.lpath, { catalogOnly: false, noTrash: true });
    const res = await agent.postEvent(registeredDataChanged(inPlace.target, 'removed', 'collection'));
    expect(res.json).toMatchObject({ status: 'accepted', job_ids: [inPlace.jobId] });
    const row = await waitFor('the break to be settled', async () => {
      const { rows } = await agent.db.pool.query<{ avu_error: string | null }>(
        "SELECT avu_error FROM omero_registration_breaks WHERE job_id = $1 AND operation = 'removed' AND entity_type = 'collection' AND avu_written_at IS NOT NULL",
        [inPlace.jobId],
      );
      return rows[0];
    });
    expect(row.avu_error).toMatch(/no longer in iRODS/);
    const item = await waitFor('the fourth change in the feed', async () => {
      const found = (await feed()).items.find((i) => i.job_id === inPlace.jobId);
      return found?.omero_registration?.changes.length === 4 ? found : undefined;
    });
    expect(item.omero_registration?.changes.map((c) => c.operation)).toEqual(['removed', 'renamed', 'removed', 'removed']);
  });

  it('a path no registered tree contains or lies in is recorded and ignored; a body without operation is refused', async () => {
    const res = await agent.postEvent(registeredDataChanged('/tempZone/home/alice/elsewhere/x.tiff', 'removed', 'data_object'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ignored', reason: 'no archive registered in OMERO contains this path or lies inside it' });
    const bad = registeredDataChanged(inPlace.file, 'removed', 'data_object') as { data: Record<string, unknown> };
    bad.data.operation = 'moved';
    const refused = await agent.postEvent(bad);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_value', retryable: false });
    const uncanonical = registeredDataChanged(inPlace.file, 'renamed', 'data_object', '/tempZone/home/../x');
    expect((await agent.postEvent(uncanonical)).json).toMatchObject({ error: 'non_canonical_path' });
  });
});
