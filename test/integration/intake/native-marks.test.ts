import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANDED_MARK_ATTRIBUTE } from '../../../src/intake/landed-mark.js';
import { startMarkPoller, takeLandedMarks, type MarkDeps } from '../../../src/intake/landed-marks.js';
import { IrodsError } from '../../../src/irods/errors.js';
import type { IrodsClient } from '../../../src/irods/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { randomName, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

// The native rule marks an archive that landed (irods_omero_agent::landed = seconds, units
// user#zone) instead of calling out; the agent takes the marks from the catalog. Real workers,
// PostgreSQL and Redis, the iRODS HTTP API stand-in; the marks are written as the rule would,
// by the uploader's own connection.

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

type User = Awaited<ReturnType<IrodsForTest['makeUser']>>;
let irods: IrodsForTest;
let agent: TestAgent;
let alice: User;
let watched: string;
let deps: MarkDeps;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  for (const other of ['bob', 'carol']) await irods.makeUser(other);
  watched = `/tempZone/home/alice/${randomName('watched')}`;
  await alice.client.collections.create(watched);
  agent = await startTestAgent({
    label: 'native_marks',
    irods: irods.client,
    workers: true,
    env: { AGENT_WATCH: watched, AGENT_SWEEP_INTERVAL_SECONDS: '0', AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  });
  deps = { config: agent.config, pool: agent.db.pool, queues: agent.queues, irods: irods.client, log: createLogger({ level: 'silent' }) };
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

/** What the rule's msiModAVUMetadata("-d", path, "set", …) leaves: one mark, as the uploader. */
async function mark(client: IrodsClient, lpath: string, value: string, units: string): Promise<void> {
  const current = await marksOn(lpath);
  await client.dataObjects.modifyMetadata(lpath, [
    ...current.map((m) => ({ operation: 'remove' as const, attribute: LANDED_MARK_ATTRIBUTE, value: m.value, units: m.units })),
    { operation: 'add', attribute: LANDED_MARK_ATTRIBUTE, value, units },
  ]);
}

async function marksOn(lpath: string): Promise<{ value: string; units: string }[]> {
  const i = lpath.lastIndexOf('/');
  const rows = await irods.client.query.genqueryAll(
    `SELECT META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME = '${lpath.slice(0, i)}' AND DATA_NAME = '${lpath.slice(i + 1)}' AND META_DATA_ATTR_NAME = '${LANDED_MARK_ATTRIBUTE}'`,
  );
  return rows.map(([value = '', units = '']) => ({ value, units }));
}

async function jobsFor(lpath: string): Promise<{ id: string; uploader: string }[]> {
  const { rows } = await agent.db.pool.query<{ id: string; uploader: string }>(
    'SELECT j.id, a.uploader FROM jobs j JOIN archives a ON a.id = j.archive_id WHERE a.logical_path = $1',
    [lpath],
  );
  return rows;
}

async function eventsFor(lpath: string): Promise<{ verdict: string; reason: string | null; http_status: number; pep: string | null }[]> {
  const { rows } = await agent.db.pool.query<{ verdict: string; reason: string | null; http_status: number; pep: string | null }>(
    "SELECT verdict, reason, http_status, (CASE WHEN body LIKE '{\"type\"%' THEN body::jsonb -> 'data' ->> 'pep' END) AS pep FROM events WHERE logical_path = $1 ORDER BY received_at",
    [lpath],
  );
  return rows;
}

const now = (): string => String(Math.floor(Date.now() / 1000));

describe('native marks', () => {
  it('turn a marked archive in a watched collection into exactly one job, which expands it, and are removed', async () => {
    const lpath = `${watched}/${randomName('marked')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    await mark(alice.client, lpath, now(), 'alice#tempZone');

    const pass = await takeLandedMarks(deps);
    expect(pass.ran).toBe(true);
    expect(pass.outcomes).toEqual([expect.objectContaining({ lpath, units: 'alice#tempZone', verdict: 'accepted' })]);
    expect(await marksOn(lpath)).toEqual([]);
    expect((await takeLandedMarks(deps)).outcomes).toEqual([]);

    const jobs = await jobsFor(lpath);
    expect(jobs).toEqual([{ id: pass.outcomes[0]?.jobId, uploader: 'alice' }]);
    expect(await eventsFor(lpath)).toEqual([{ verdict: 'accepted', reason: null, http_status: 202, pep: 'native_mark' }]);
    await waitForJob(agent.db.pool, jobs[0]?.id as string, ['succeeded']);
    expect((await agentAvus(irods.client, lpath)).status).toEqual(['expanded']);
  });

  it('leave a newer mark, written while the older one was being taken, for the next pass', async () => {
    const lpath = `${watched}/${randomName('remarked')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    await mark(alice.client, lpath, '1700000000', 'alice#tempZone');
    // The rule sets the mark again (a second upload) after the agent read the first one.
    let rewritten = false;
    const racing: IrodsClient = {
      ...irods.client,
      dataObjects: {
        ...irods.client.dataObjects,
        modifyMetadata: async (target, operations, options) => {
          if (!rewritten) {
            rewritten = true;
            await mark(alice.client, lpath, '1700000009', 'alice#tempZone');
          }
          return irods.client.dataObjects.modifyMetadata(target, operations, options);
        },
      },
    };
    const first = await takeLandedMarks({ ...deps, irods: racing });
    expect(first.outcomes.map((o) => [o.lpath, o.verdict])).toEqual([[lpath, 'accepted']]);
    expect(await marksOn(lpath)).toEqual([{ value: '1700000009', units: 'alice#tempZone' }]);

    // The job's status AVUs (queued, running, expanded) share the irods_omero_agent:: namespace
    // and are rewritten as a set: the mark must not be taken for a stale one of them.
    await waitForJob(agent.db.pool, first.outcomes[0]?.jobId as string, ['succeeded']);
    expect(await marksOn(lpath)).toEqual([{ value: '1700000009', units: 'alice#tempZone' }]);

    const second = await takeLandedMarks(deps);
    expect(second.outcomes).toEqual([expect.objectContaining({ lpath, verdict: 'duplicate' })]);
    expect(await marksOn(lpath)).toEqual([]);
    expect(await jobsFor(lpath)).toHaveLength(1);
  });

  it('make one job when a mark is taken again because removing it failed', async () => {
    const lpath = `${watched}/${randomName('sticky')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    await mark(alice.client, lpath, now(), 'alice#tempZone');
    const failing: IrodsClient = {
      ...irods.client,
      dataObjects: {
        ...irods.client.dataObjects,
        modifyMetadata: () => Promise.reject(new IrodsError({ status: 400, code: -818000, op: 'data-objects/modify_metadata', message: 'refused' })),
      },
    };
    const first = await takeLandedMarks({ ...deps, irods: failing });
    expect(first).toMatchObject({ outcomes: [], left: 1 });
    const second = await takeLandedMarks(deps);
    expect(second.outcomes).toEqual([expect.objectContaining({ lpath, verdict: 'replayed' })]);
    expect(await marksOn(lpath)).toEqual([]);
    expect(await jobsFor(lpath)).toHaveLength(1);
  });

  it('leave marks outside the watched collections alone, including a sibling that shares the prefix', async () => {
    const outside = `/tempZone/home/alice/${randomName('elsewhere')}`;
    const sibling = `${watched}2`;
    for (const coll of [outside, sibling]) await alice.client.collections.create(coll);
    const paths = [`${outside}/a.zip`, `${sibling}/b.zip`];
    for (const p of paths) {
      await uploadFile(alice.client, p, `${FIXTURES}valid_single_image.zip`);
      await mark(alice.client, p, now(), 'alice#tempZone');
    }
    const pass = await takeLandedMarks(deps);
    expect(pass.outcomes.filter((o) => paths.includes(o.lpath))).toEqual([]);
    for (const p of paths) {
      expect(await marksOn(p)).toHaveLength(1);
      expect(await eventsFor(p)).toEqual([]);
    }
  });

  it('record marks on non-archives and on the agent’s own writes as ignored, and remove them', async () => {
    const notes = `${watched}/${randomName('notes')}.txt`;
    await uploadFile(alice.client, notes, `${FIXTURES}LICENSE-NOTE.txt`);
    await mark(alice.client, notes, now(), 'alice#tempZone');
    const own = `${watched}/${randomName('own')}.zip`;
    await uploadFile(irods.client, own, `${FIXTURES}valid_single_image.zip`);
    await mark(irods.client, own, now(), 'rods#tempZone');

    const pass = await takeLandedMarks(deps);
    expect(pass.outcomes.find((o) => o.lpath === notes)).toMatchObject({ verdict: 'ignored', reason: expect.stringContaining('not an archive') });
    expect(pass.outcomes.find((o) => o.lpath === own)).toMatchObject({ verdict: 'ignored', reason: expect.stringContaining("agent's own account") });
    for (const p of [notes, own]) {
      expect(await marksOn(p)).toEqual([]);
      expect(await jobsFor(p)).toEqual([]);
    }
  });

  it('refuse, with a recorded reason, a mark naming a user who may not write the object, and remove it', async () => {
    const lpath = `${watched}/${randomName('forged')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    // bob may read it: not enough to be told its uploader (he would be given `own` on the tree).
    await alice.client.dataObjects.setPermission(lpath, 'bob', 'read');
    await mark(alice.client, lpath, now(), 'bob#tempZone');
    const malformed = `${watched}/${randomName('malformed')}.zip`;
    await uploadFile(alice.client, malformed, `${FIXTURES}valid_single_image.zip`);
    await mark(alice.client, malformed, now(), 'bob');

    const pass = await takeLandedMarks(deps);
    const reason = `refused: the event named bob#tempZone as the uploader, but in iRODS bob#tempZone neither owns nor may write ${lpath}`;
    expect(pass.outcomes.find((o) => o.lpath === lpath)).toMatchObject({ verdict: 'rejected', reason });
    expect(await eventsFor(lpath)).toEqual([{ verdict: 'rejected', reason, http_status: 403, pep: null }]);
    expect(await eventsFor(malformed)).toEqual([
      { verdict: 'rejected', reason: 'the mark\'s units "bob" do not name a user as <user>#<zone>', http_status: 400, pep: null },
    ]);
    for (const p of [lpath, malformed]) {
      expect(await marksOn(p)).toEqual([]);
      expect(await jobsFor(p)).toEqual([]);
    }
  });

  it('take a mark naming a user allowed to write the object, directly or through a group, as its uploader', async () => {
    const byAcl = `${watched}/${randomName('shared')}.zip`;
    const byGroup = `${watched}/${randomName('group')}.zip`;
    const group = randomName('lab');
    await irods.client.users.createGroup(group);
    await irods.client.users.addToGroup('carol', group, { zone: 'tempZone' });
    for (const p of [byAcl, byGroup]) await uploadFile(alice.client, p, `${FIXTURES}valid_single_image.zip`);
    await alice.client.dataObjects.setPermission(byAcl, 'bob', 'write');
    await alice.client.dataObjects.setPermission(byGroup, group, 'own');
    await mark(alice.client, byAcl, now(), 'bob#tempZone');
    await mark(alice.client, byGroup, now(), 'carol#tempZone');

    const pass = await takeLandedMarks(deps);
    expect(pass.outcomes.filter((o) => [byAcl, byGroup].includes(o.lpath)).map((o) => o.verdict)).toEqual(['accepted', 'accepted']);
    expect((await jobsFor(byAcl)).map((j) => j.uploader)).toEqual(['bob']);
    expect((await jobsFor(byGroup)).map((j) => j.uploader)).toEqual(['carol']);
  });

  it('do nothing while another agent process holds the marks lock', async () => {
    const other = await agent.db.pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [0x1a0e_3a4c]);
      expect(await takeLandedMarks(deps)).toEqual({ ran: false, outcomes: [], left: 0 });
    } finally {
      await other.query('SELECT pg_advisory_unlock($1)', [0x1a0e_3a4c]);
      other.release();
    }
  });

  it('are taken by themselves every AGENT_MARK_POLL_SECONDS, and the uploader sees `queued` at once', async () => {
    const lpath = `${watched}/${randomName('polled')}.zip`;
    await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_image.zip`);
    const queued: string[] = [];
    const poller = startMarkPoller({
      ...deps,
      config: { ...agent.config, nativeMarks: { pollSeconds: 1 } },
      onAccepted: async (job) => {
        queued.push(job.logicalPath);
      },
    });
    try {
      await mark(alice.client, lpath, now(), 'alice#tempZone');
      const [job] = await waitFor('the poller to take the mark', async () => {
        const found = await jobsFor(lpath);
        return found.length ? found : undefined;
      });
      expect(job?.uploader).toBe('alice');
      await waitFor('the mark to be removed', async () => (await marksOn(lpath)).length === 0);
      expect(queued).toContain(lpath);
    } finally {
      await poller.close();
    }
    const off = startMarkPoller({ ...deps, config: { ...agent.config, nativeMarks: { pollSeconds: 0 } } });
    await off.close();
  });
});
