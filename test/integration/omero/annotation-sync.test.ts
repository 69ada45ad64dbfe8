import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataOperation } from '../../../src/irods/types.js';
import type { OmeroSyncRow } from '../../../src/store/index.js';
import { startTestAgent, type TestAgent } from '../../support/agent.js';
import { waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import { mapAnnotationsOn, type StandinCall } from '../../standins/omero-cli/index.js';
import { useOmeroWorld } from './landing.js';

// Use case D: AVUs added in iRODS to a registered image file (or the tree's root collection)
// appear in OMERO, in one MapAnnotation per OMERO object, in the agent's namespace, written
// through `omero obj` as the omero step writes through the CLI. Real PostgreSQL and Redis, the
// iRODS HTTP API stand-in, the OMERO CLI stand-in.

const SYNC_NS = 'irods-omero-agent/irods-metadata';

const world = useOmeroWorld('sync');

interface Registered {
  /** The expanded tree's root collection. */
  readonly root: string;
  /** An image file of the tree and the OMERO image it became. */
  readonly file: string;
  readonly imageId: string;
  readonly projectId: string;
}

let agent: TestAgent;
let staging: string;
let tree: Registered;

beforeAll(async () => {
  staging = await mkdtemp(join(tmpdir(), 'omero-sync-staging-'));
  agent = await startTestAgent({
    label: 'omero-sync',
    irods: world.irods.client,
    workers: true,
    env: world.omero.agentEnv({
      OMERO_MODE: 'upload',
      OMERO_MERGE: 'false',
      OMERO_STAGING_DIR: staging,
      AGENT_OMERO_SYNC_DEBOUNCE_SECONDS: '1',
      AGENT_OMERO_SYNC_BACKOFF_MS: '300',
      AGENT_OMERO_SYNC_ATTEMPTS: '6',
    }),
  });
  const { target, jobId } = await world.land(agent, 'valid_single_project.zip');
  await waitForJob(agent.db.pool, jobId);
  const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
  const detail = rows[0].detail.omero as { images: { omero_id: string; path: string }[]; projects: { omero_id: string }[] };
  const image = detail.images[0] as { omero_id: string; path: string };
  tree = { root: target, file: `${target}/${image.path}`, imageId: image.omero_id, projectId: (detail.projects[0] as { omero_id: string }).omero_id };
});
afterAll(async () => {
  await agent?.close();
  await rm(staging, { recursive: true, force: true });
});

/** The event the Python rules send after an imeta call on a registered object. */
function metadataChanged(lpath: string, entityType: 'data_object' | 'collection' = 'data_object', user = 'alice'): Record<string, unknown> {
  return {
    type: 'metadata.changed',
    timestamp: new Date().toISOString(),
    data: {
      zone: 'tempZone',
      logical_path: lpath,
      entity_type: entityType,
      attributes: ['stain'],
      user,
      user_zone: 'tempZone',
      client_user: `${user}#tempZone`,
      pep: 'pep_api_mod_avu_metadata_post',
    },
  };
}

/** What a scientist does with imeta, as alice (who owns the expanded tree). */
async function imeta(lpath: string, ops: MetadataOperation[], kind: 'data_object' | 'collection' = 'data_object'): Promise<void> {
  if (kind === 'collection') await world.alice.client.collections.modifyMetadata(lpath, ops);
  else await world.alice.client.dataObjects.modifyMetadata(lpath, ops);
}

const add = (attribute: string, value: string, units?: string): MetadataOperation => ({ operation: 'add', attribute, value, units });
const remove = (attribute: string, value: string, units?: string): MetadataOperation => ({ operation: 'remove', attribute, value, units });

/** Posts the event and waits for the sync it scheduled (or joined) to end. */
async function syncAfter(event: Record<string, unknown>): Promise<OmeroSyncRow> {
  const res = await agent.postEvent(event);
  expect([200, 202]).toContain(res.status);
  return finished(res.json.sync_id as number);
}

async function finished(syncId: number): Promise<OmeroSyncRow> {
  return waitFor(
    `omero sync ${syncId} to end`,
    async () => {
      const { rows } = await agent.db.pool.query<OmeroSyncRow>('SELECT * FROM omero_syncs WHERE id = $1', [syncId]);
      const row = rows[0];
      return row && ['succeeded', 'skipped', 'failed'].includes(row.state) ? row : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

async function onImage(): Promise<{ id: string; ns: string | undefined; map: [string, string][] }[]> {
  return mapAnnotationsOn(await world.omero.state(), `Image:${tree.imageId}`);
}

/** The CLI calls made while `act` ran. */
async function callsDuring(act: () => Promise<unknown>): Promise<StandinCall[]> {
  const before = (await world.omero.calls()).length;
  await act();
  return (await world.omero.calls()).slice(before);
}

describe('iRODS metadata in OMERO', () => {
  it('an AVU added in iRODS appears in the MapAnnotation on the image the file became, without the agent\'s and the omero. AVUs', async () => {
    await imeta(tree.file, [add('stain', 'DAPI')]);
    const res = await agent.postEvent(metadataChanged(tree.file));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ accepted: true, status: 'accepted' });
    const sync = await finished(res.json.sync_id as number);
    expect(sync.state).toBe('succeeded');
    expect(sync.outcome).toMatchObject({ action: 'written', targets: [`Image:${tree.imageId}`] });

    const annotations = await onImage();
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatchObject({ ns: SYNC_NS, map: [['stain', 'DAPI']] });
    // Through the CLI as the omero step: a private session, the password only for the login.
    const calls = (await world.omero.calls()).filter((c) => c.argv[0] === 'obj');
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.argv.slice(0, 8)).toEqual(['obj', '-s', 'omero.test', '-p', '4064', '-u', 'agent', '--file']);
      expect(c.env.OMERO_PASSWORD).toBe(false);
      expect(c.auth).toBe('session');
    }
    const { rows } = await agent.db.pool.query('SELECT target_type, target_id, annotation_id, written FROM omero_annotations WHERE logical_path = $1', [tree.file]);
    expect(rows).toEqual([{ target_type: 'Image', target_id: Number(tree.imageId), annotation_id: Number(annotations[0]?.id), written: [['stain', 'DAPI']] }]);
  });

  it('a second change updates the same annotation; a value with units reads "<value> <units>"', async () => {
    const [first] = await onImage();
    await imeta(tree.file, [remove('stain', 'DAPI'), add('stain', 'Hoechst'), add('exposure', '20', 'ms')]);
    const sync = await syncAfter(metadataChanged(tree.file));
    expect(sync.state).toBe('succeeded');
    const annotations = await onImage();
    expect(annotations.map((a) => a.id)).toEqual([first?.id]);
    expect(new Map(annotations[0]?.map)).toEqual(new Map([['stain', 'Hoechst'], ['exposure', '20 ms']]));
  });

  it('removing an AVU removes its pair; several values of one attribute show as one pair, sorted and joined', async () => {
    await imeta(tree.file, [remove('exposure', '20', 'ms'), add('stain', 'DAPI')]);
    await syncAfter(metadataChanged(tree.file));
    expect((await onImage())[0]?.map).toEqual([['stain', 'DAPI; Hoechst']]);
  });

  it('an unchanged set makes no OMERO call: a replayed webhook id is told so, a new event finds nothing to write', async () => {
    const event = metadataChanged(tree.file);
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    let sync: OmeroSyncRow | undefined;
    const calls = await callsDuring(async () => {
      const first = await agent.postEvent(event, { id });
      sync = await finished(first.json.sync_id as number);
      const again = await agent.postEvent(event, { id });
      expect(again.status).toBe(200);
      expect(again.json.status).toBe('replayed');
    });
    expect(calls).toEqual([]);
    expect(sync?.state).toBe('succeeded');
    expect(sync?.outcome).toMatchObject({ action: 'unchanged' });
  });

  it('a burst of events for one object makes one sync (one OMERO session)', async () => {
    await imeta(tree.file, [add('operator', 'alice')]);
    let sync: OmeroSyncRow | undefined;
    const calls = await callsDuring(async () => {
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(await agent.postEvent(metadataChanged(tree.file)));
      expect(answers.map((a) => a.json.status)).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
      expect(new Set(answers.map((a) => a.json.sync_id)).size).toBe(1);
      sync = await finished(answers[0]?.json.sync_id as number);
    });
    expect(sync?.events).toBe(5);
    expect(calls.filter((c) => c.argv[0] === 'login')).toHaveLength(1);
    // map-set appends a new key at the end: OMERO keeps the pairs in the order they were set.
    expect((await onImage())[0]?.map).toEqual([['stain', 'DAPI; Hoechst'], ['operator', 'alice']]);
  });

  it('OMERO down: the sync is retried with backoff, then done once OMERO is back', async () => {
    await world.omero.control({ fail: 'refuse_connection' });
    try {
      await imeta(tree.file, [add('batch', '7')]);
      const res = await agent.postEvent(metadataChanged(tree.file));
      const syncId = res.json.sync_id as number;
      const retrying = await waitFor('the sync to wait for OMERO', async () => {
        const { rows } = await agent.db.pool.query<OmeroSyncRow>('SELECT * FROM omero_syncs WHERE id = $1', [syncId]);
        return rows[0]?.state === 'retrying' ? rows[0] : undefined;
      });
      expect(retrying.error_code).toBe('omero_unreachable');
      expect(retrying.error_message).toMatch(/could not be reached/);
      await world.omero.control({ fail: null });
      const sync = await finished(syncId);
      expect(sync.state).toBe('succeeded');
      expect(sync.attempts).toBeGreaterThan(1);
      expect(new Map((await onImage())[0]?.map).get('batch')).toBe('7');
    } finally {
      await world.omero.control({ fail: null });
    }
  });

  it('OMERO refusing the login is not retried: the sync fails with a code and a sentence the admin API shows', async () => {
    await world.omero.control({ password: 'not-the-agents' });
    try {
      await imeta(tree.file, [add('batch', '8')]);
      const sync = await syncAfter(metadataChanged(tree.file));
      expect(sync).toMatchObject({ state: 'failed', attempts: 1, error_code: 'omero_login_refused' });
      const res = await fetch(`${agent.url}/v1/omero-syncs?state=failed&path=${encodeURIComponent(tree.file)}`, {
        headers: { authorization: 'Bearer reader-token-0123456789ab' },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: { id: number; error: { code: string; message: string } }[] };
      expect(body.items[0]).toMatchObject({ id: sync.id, error: { code: 'omero_login_refused' } });
      expect(body.items[0]?.error.message).toMatch(/refused the login of "agent"/);
    } finally {
      await world.omero.control({ password: world.omero.password });
    }
  });

  it('an object without registration ids: nothing is sent to OMERO', async () => {
    const xml = `${tree.root}/transfer.xml`;
    await imeta(xml, [add('stain', 'DAPI')]);
    let sync: OmeroSyncRow | undefined;
    const calls = await callsDuring(async () => {
      sync = await syncAfter(metadataChanged(xml));
    });
    expect(calls).toEqual([]);
    expect(sync).toMatchObject({ state: 'skipped', outcome: { reason: 'not_registered' } });
  });

  it('an annotation deleted in OMERO is made again at the next change, and recorded in its place', async () => {
    const [old] = await onImage();
    await world.omero.editState((state) => {
      delete state.annotations?.[old?.id ?? ''];
      for (const [id, link] of Object.entries(state.annotation_links ?? {})) if (link.child === `MapAnnotation:${old?.id}`) delete state.annotation_links?.[id];
    });
    await imeta(tree.file, [add('batch', '9')]);
    const sync = await syncAfter(metadataChanged(tree.file));
    expect(sync.state).toBe('succeeded');
    const annotations = await onImage();
    expect(annotations).toHaveLength(1);
    expect(annotations[0]?.id).not.toBe(old?.id);
    expect(new Map(annotations[0]?.map).get('batch')).toBe('7; 8; 9');
    const { rows } = await agent.db.pool.query('SELECT annotation_id FROM omero_annotations WHERE logical_path = $1', [tree.file]);
    expect(rows).toEqual([{ annotation_id: Number(annotations[0]?.id) }]);
  });

  it('AVUs on the tree\'s root collection go to its top-level container (the Project), not its Datasets', async () => {
    await imeta(tree.root, [add('grant', 'ERC-123')], 'collection');
    const sync = await syncAfter(metadataChanged(tree.root, 'collection'));
    expect(sync).toMatchObject({ state: 'succeeded', outcome: { targets: [`Project:${tree.projectId}`] } });
    const state = await world.omero.state();
    expect(mapAnnotationsOn(state, `Project:${tree.projectId}`)).toEqual([expect.objectContaining({ ns: SYNC_NS, map: [['grant', 'ERC-123']] })]);
    for (const datasetId of state.projects[tree.projectId]?.datasets ?? []) expect(mapAnnotationsOn(state, `Dataset:${datasetId}`)).toEqual([]);
  });
});

describe('events the sync does not act on', () => {
  it('a rename of data registered by upload breaks nothing: OMERO has its own copy (recorded, ignored)', async () => {
    const res = await agent.postEvent({
      type: 'registered_data.changed',
      timestamp: new Date().toISOString(),
      data: { zone: 'tempZone', logical_path: tree.file, entity_type: 'data_object', operation: 'removed', user: 'rods', pep: 'pep_api_data_obj_unlink_post' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ignored', reason: expect.stringContaining('OMERO holds its own copy') });
    const { rows } = await agent.db.pool.query('SELECT count(*)::int AS n FROM omero_registration_breaks');
    expect(rows[0].n).toBe(0);
  });

  it('records and ignores the agent\'s own changes and objects outside watched collections; refuses a body without entity_type', async () => {
    const own = await agent.postEvent(metadataChanged(tree.file, 'data_object', 'rods'));
    expect(own.json).toMatchObject({ status: 'ignored', reason: expect.stringContaining("agent's own account") });
    const outside = await agent.postEvent(metadataChanged('/tempZone/trash/x.tiff'));
    expect(outside.json).toMatchObject({ status: 'ignored', reason: 'not in a watched collection' });
    const bad = metadataChanged(tree.file) as { data: Record<string, unknown> };
    delete bad.data.entity_type;
    const refused = await agent.postEvent(bad);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'missing_field', retryable: false });
    const wrong = metadataChanged(tree.file) as { data: Record<string, unknown> };
    wrong.data.entity_type = 'resource';
    expect((await agent.postEvent(wrong)).status).toBe(400);
    const { rows } = await agent.db.pool.query<{ verdict: string; n: number }>(
      `SELECT verdict, count(*)::int AS n FROM events WHERE logical_path = ANY($1) AND (event_type = 'metadata.changed' AND verdict = 'ignored' OR verdict = 'rejected')
        GROUP BY verdict ORDER BY verdict`,
      [[tree.file, '/tempZone/trash/x.tiff']],
    );
    expect(rows).toEqual([
      { verdict: 'ignored', n: 2 },
      { verdict: 'rejected', n: 2 },
    ]);
  });
});
