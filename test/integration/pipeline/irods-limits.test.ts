import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTar, buildZip, removeTempArchives } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile, waitForJob } from '../../support/pipeline.js';

/**
 * iRODS's limits checked at inspect, before anything is written: paths and names iRODS (and its
 * clients) would refuse, and the logical quotas over the target.
 */

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
let folders = 0;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'irods-limits', irods: irods.client, workers: true, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

async function folder(): Promise<string> {
  const path = `/tempZone/home/alice/limits-${++folders}`;
  await alice.client.collections.create(path);
  return path;
}

async function land(localPath: string, lpath: string): Promise<string> {
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return res.json.job_id as string;
}

/** An entry path that makes `<target>/<entry>` exactly `length` characters: folders of 200, then the file. */
function entryMaking(target: string, length: number): string {
  const parts: string[] = [];
  let used = target.length;
  while (length - used > 201 + 20) {
    parts.push('d'.repeat(200));
    used += 201;
  }
  parts.push(`${'f'.repeat(length - used - 1 - 4)}.tif`);
  return parts.join('/');
}

/** Nothing of the expansion exists: the folder holds the archive alone. */
async function expectNothingWritten(parent: string, lpath: string): Promise<void> {
  expect(await irods.client.collections.list(parent, { recurse: true })).toEqual([lpath]);
}

describe('iRODS path limits at inspect', () => {
  for (const format of ['zip', 'tar'] as const) {
    it(`refuses a ${format} holding a 1,348-character path with path_too_long, naming the entry, before writing anything`, async () => {
      const parent = await folder();
      const lpath = `${parent}/long.${format}`;
      const target = lpath.replace(/\.(zip|tar)$/, '');
      const longEntry = entryMaking(target, 1348);
      expect(`${target}/${longEntry}`).toHaveLength(1348);
      const entries = [{ name: 'transfer.xml', data: '<x/>' }, { name: longEntry, data: 'pixels' }];
      const jobId = await land(format === 'zip' ? await buildZip(entries) : await buildTar(entries), lpath);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.step).toBe('inspect');
      expect(job.error_code).toBe('path_too_long');
      expect(job.error_entry).toBe(longEntry);
      expect(job.error_message).toContain('1348 bytes');
      expect(job.error_message).toContain(longEntry.slice(0, 100));
      expect((await agentAvus(irods.client, lpath)).error?.[0]).toContain('iRODS clients refuse paths longer than 1022 bytes');
      await expectNothingWritten(parent, lpath);
    });
  }

  it('refuses a name longer than iRODS storage allows, even in a short path', async () => {
    const parent = await folder();
    const lpath = `${parent}/names.zip`;
    const jobId = await land(await buildZip([{ name: `images/${'n'.repeat(256)}.tif`, data: 'x' }]), lpath);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.error_code).toBe('path_too_long');
    expect(job.error_message).toContain('260 bytes long, and iRODS storage refuses names longer than 255 bytes');
    await expectNothingWritten(parent, lpath);
  });

  it('expands a path of exactly the longest length iRODS clients accept', async () => {
    const parent = await folder();
    const lpath = `${parent}/edge.tar`;
    const target = lpath.replace(/\.tar$/, '');
    const entry = entryMaking(target, 1022);
    const jobId = await land(await buildTar([{ name: entry, data: 'edge' }]), lpath);
    await waitForJob(agent.db.pool, jobId);
    expect(await irods.client.dataObjects.read(`${target}/${entry}`)).toEqual(Buffer.from('edge'));
  });
});

describe('logical quotas at inspect', () => {
  /** Quota AVUs as the logical_quotas plugin keeps them on a monitored collection. */
  async function setQuota(collection: string, avus: Record<string, number>): Promise<void> {
    await irods.client.collections.modifyMetadata(
      collection,
      Object.entries(avus).map(([name, value]) => ({ operation: 'add' as const, attribute: `irods::logical_quotas::${name}`, value: String(value) })),
      { admin: true },
    );
  }

  it('fails with quota_exceeded, naming the quota, when the files would pass a collection maximum above the target', async () => {
    const parent = await folder();
    await setQuota('/tempZone/home/alice', { maximum_number_of_data_objects: 40, total_number_of_data_objects: 39, total_size_in_bytes: 10 });
    try {
      const lpath = `${parent}/many.zip`;
      const jobId = await land(await buildZip([{ name: 'a.txt', data: 'a' }, { name: 'b.txt', data: 'b' }]), lpath);
      const job = await waitForJob(agent.db.pool, jobId, ['failed']);
      expect(job.step).toBe('inspect');
      expect(job.error_code).toBe('quota_exceeded');
      expect(job.error_message).toBe(
        'The archive would add 2 file(s) under /tempZone/home/alice, whose logical quota allows 40 data objects (irods::logical_quotas::maximum_number_of_data_objects) and already holds 39. Nothing was written. Ask an iRODS administrator to raise the quota or make room, then replay the job.',
      );
      await expectNothingWritten(parent, lpath);
    } finally {
      await irods.client.collections.modifyMetadata(
        '/tempZone/home/alice',
        ['maximum_number_of_data_objects:40', 'total_number_of_data_objects:39', 'total_size_in_bytes:10'].map((pair) => {
          const [name = '', value = ''] = pair.split(':');
          return { operation: 'remove' as const, attribute: `irods::logical_quotas::${name}`, value };
        }),
        { admin: true },
      );
    }
  });

  it('fails a tar whose bytes would pass a maximum size on the archive collection itself', async () => {
    const parent = await folder();
    await setQuota(parent, { maximum_size_in_bytes: 2048, total_size_in_bytes: 1000, total_number_of_data_objects: 1 });
    const lpath = `${parent}/big.tar`;
    const jobId = await land(await buildTar([{ name: 'big.bin', data: Buffer.alloc(1500, 7) }]), lpath);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.error_code).toBe('quota_exceeded');
    expect(job.error_message).toContain(`under ${parent}, whose logical quota allows 2 KiB (irods::logical_quotas::maximum_size_in_bytes) and already holds 1000 bytes`);
    await expectNothingWritten(parent, lpath);
  });

  it('expands when the quota leaves room', async () => {
    const parent = await folder();
    await setQuota(parent, { maximum_number_of_data_objects: 10, total_number_of_data_objects: 1, maximum_size_in_bytes: 1_000_000, total_size_in_bytes: 100 });
    const lpath = `${parent}/fits.zip`;
    const jobId = await land(await buildZip([{ name: 'a.txt', data: 'a' }]), lpath);
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.state).toBe('succeeded');
  });
});
