import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTar,
  buildZip,
  emptyZip,
  extractWithSystemTool,
  removeTempArchives,
  tarWithEntryName,
  zipWithEntryName,
} from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import type { IrodsClient } from '../../../src/irods/types.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, irodsTree, replay, uploadFile, waitForJob } from '../../support/pipeline.js';
import { Gate } from '../../support/wait.js';

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'expand', irods: irods.client, workers: true, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

let folders = 0;

type DataObjects = IrodsClient['dataObjects'];
type Call = (...args: unknown[]) => Promise<unknown>;

/** `dataObjects` with some methods wrapped; each wrapper gets the real call and the arguments. */
function intercept(dataObjects: DataObjects, wrappers: Partial<Record<keyof DataObjects, (call: Call, args: unknown[]) => Promise<unknown>>>): DataObjects {
  return new Proxy(dataObjects, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      const wrap = wrappers[prop as keyof DataObjects];
      if (!wrap || typeof value !== 'function') return value;
      const call: Call = (...args) => (value as Call).apply(target, args);
      return (...args: unknown[]) => wrap(call, args);
    },
  });
}

/** The tree expanded from the archive at `lpath` holds exactly the files `unzip`/`tar` make of `local`. */
async function expectExpandedAsLocally(lpath: string, local: string, format: 'zip' | 'tar'): Promise<void> {
  const expected = await extractWithSystemTool(local, format);
  expect((await irodsTree(irods.client, lpath.replace(/\.(zip|tar)$/, ''))).files).toEqual(expected.files);
}

/** Uploads as alice into a collection of its own and delivers the event the way the rule would. */
async function land(localPath: string, name = basename(localPath)): Promise<{ lpath: string; jobId: string }> {
  const folder = `/tempZone/home/alice/upload-${++folders}`;
  await alice.client.collections.create(folder);
  const lpath = `${folder}/${name}`;
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return { lpath, jobId: res.json.job_id as string };
}

describe('expand', () => {
  for (const [fixture, format] of [
    ['valid_single_project.zip', 'zip'],
    ['valid_single_image.tar', 'tar'],
    ['valid_single_dataset.zip', 'zip'],
    ['valid_single_image.zip', 'zip'],
    ['simple_plate.zip', 'zip'],
    ['simple_screen.zip', 'zip'],
  ] as const) {
    it(`expands ${fixture} beside the archive, byte for byte as ${format === 'zip' ? 'unzip' : 'tar'} does`, async () => {
      const { lpath, jobId } = await land(`${FIXTURES}${fixture}`);
      const job = await waitForJob(agent.db.pool, jobId);
      const target = lpath.replace(/\.(zip|tar)$/, '');
      expect(job.target_path).toBe(target);
      const expected = await extractWithSystemTool(`${FIXTURES}${fixture}`, format);
      const actual = await irodsTree(irods.client, target);
      expect(actual.files).toEqual(expected.files);
      expect(actual.directories).toEqual(expected.directories);

      const status = await agentAvus(irods.client, lpath);
      expect(status).toMatchObject({ status: ['expanded'], job: [jobId], expanded_to: [target] });
      expect(status.error).toBeUndefined();
      const first = Object.keys(expected.files)[0] as string;
      expect(await agentAvus(irods.client, `${target}/${first}`)).toMatchObject({ source_archive: [lpath] });

      const { rows } = await agent.db.pool.query("SELECT count(*)::int AS n FROM entries WHERE job_id = $1 AND kind = 'file' AND state = 'written' AND irods_checksum LIKE 'sha2:%'", [jobId]);
      expect(rows[0].n).toBe(Object.keys(expected.files).length);
      const archiveRow = await agent.db.pool.query('SELECT a.format, a.checksum FROM archives a JOIN jobs j ON j.archive_id = a.id WHERE j.id = $1', [jobId]);
      expect(archiveRow.rows[0]).toMatchObject({ format });
      expect(archiveRow.rows[0].checksum).toMatch(/^sha2:/);
    });
  }
});

describe('expand: conflicts, hostile input and odd archives', () => {
  it('expands and resumes under a path holding the words "where" and "select" (the GenQuery1 parser finds its keywords by substring)', async () => {
    const folder = '/tempZone/home/alice/nowhere-preselected';
    await alice.client.collections.create(folder);
    const lpath = `${folder}/selection where.zip`;
    const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_dataset.zip`);
    const { json } = await agent.postEvent(landedEvent(lpath, { size }));
    const jobId = json.job_id as string;
    await waitForJob(agent.db.pool, jobId);
    const target = lpath.replace(/\.zip$/, '');
    expect(await agentAvus(irods.client, lpath)).toMatchObject({ status: ['expanded'], expanded_to: [target] });
    const expected = await extractWithSystemTool(`${FIXTURES}valid_single_dataset.zip`, 'zip');
    expect((await irodsTree(irods.client, target)).files).toEqual(expected.files);
    // A replay finds what is there by querying under the target, and keeps it.
    await replay(agent, jobId, 'expand');
    await waitForJob(agent.db.pool, jobId);
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND run = 2 AND step = 'expand'", [jobId]);
    expect(rows[0].detail).toMatchObject({ files_written: 0, files_skipped: Object.keys(expected.files).length });
  });

  it('refuses a target that exists and is not its own, touches nothing, and succeeds on replay once it is moved away', async () => {
    const folder = `/tempZone/home/alice/conflict`;
    await alice.client.collections.create(`${folder}/valid_single_dataset`, { intermediates: true });
    await alice.client.dataObjects.writeChunk(`${folder}/valid_single_dataset/mine.txt`, Buffer.from('do not touch'));
    const size = await uploadFile(alice.client, `${folder}/valid_single_dataset.zip`, `${FIXTURES}valid_single_dataset.zip`);
    const res = await agent.postEvent(landedEvent(`${folder}/valid_single_dataset.zip`, { size }));
    const failed = await waitForJob(agent.db.pool, res.json.job_id as string, ['failed']);
    expect(failed.error_code).toBe('target_exists');
    expect(await alice.client.collections.list(`${folder}/valid_single_dataset`)).toEqual([`${folder}/valid_single_dataset/mine.txt`]);
    const status = await agentAvus(irods.client, `${folder}/valid_single_dataset.zip`);
    expect(status.status).toEqual(['failed']);
    expect(status.error?.[0]).toMatch(/already exists/);

    await alice.client.collections.rename(`${folder}/valid_single_dataset`, `${folder}/kept-aside`);
    await replay(agent, failed.id, 'inspect');
    await waitForJob(agent.db.pool, failed.id);
    const expected = await extractWithSystemTool(`${FIXTURES}valid_single_dataset.zip`, 'zip');
    expect((await irodsTree(irods.client, `${folder}/valid_single_dataset`)).files).toEqual(expected.files);
    expect((await agentAvus(irods.client, `${folder}/valid_single_dataset.zip`)).status).toEqual(['expanded']);
  });

  it('records why a hostile zip was refused and writes nothing at all', async () => {
    const { lpath, jobId } = await land(await zipWithEntryName('../escape.txt'), 'hostile.zip');
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.error_code).toBe('unsafe_path');
    expect(job.step).toBe('inspect');
    const parent = lpath.slice(0, lpath.lastIndexOf('/'));
    expect(await alice.client.collections.list(parent)).toEqual([lpath]);
    expect((await agentAvus(irods.client, lpath)).error?.[0]).toMatch(/escape\.txt/);
  });

  it('stops a hostile tar at the bad entry, with nothing written outside the target', async () => {
    const { lpath, jobId } = await land(await tarWithEntryName('../../escape.txt'), 'hostile.tar');
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.error_code).toBe('unsafe_path');
    const parent = lpath.slice(0, lpath.lastIndexOf('/'));
    const everything = await irods.client.collections.list(parent, { recurse: true });
    expect(everything.every((p) => p === lpath || p.startsWith(`${parent}/hostile`))).toBe(true);
    expect(await irods.client.collections.list('/tempZone/home/alice')).not.toContain('/tempZone/home/alice/escape.txt');
  });

  it('expands an archive without transfer.xml and flags it', async () => {
    const zip = await buildZip([{ name: 'data/a.txt', data: 'a' }, { name: 'b.txt', data: 'b' }]);
    const { lpath, jobId } = await land(zip, 'loose.zip');
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).toEqual(['no_transfer_xml']);
    const status = await agentAvus(irods.client, lpath);
    expect(status).toMatchObject({ status: ['expanded'], flag: ['no_transfer_xml'] });
    expect(status.warning?.[0]).toMatch(/no transfer\.xml/);
  });

  it('expands an empty archive into an empty collection and flags it empty', async () => {
    const { lpath, jobId } = await land(await emptyZip(), 'empty.zip');
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).toEqual(['empty', 'no_transfer_xml']);
    expect(await irods.client.collections.list(lpath.replace(/\.zip$/, ''))).toEqual([]);
  });
});

describe('expand: big files, crashes and replays', () => {
  const MiB = 1024 * 1024;
  let crashAgent: TestAgent;
  let crashes = 0;

  beforeAll(async () => {
    // A client that writes big files in parallel (threshold 4 MiB), and an expand step whose
    // first attempt "crashes" after a few writes, the way a killed worker would stop.
    const client = irods.clientFor('rods', 'rods', { admin: true, parallelWriteThreshold: 4 * MiB, writeChunkBytes: MiB });
    const { createStepHandlers } = await import('../../../src/pipeline/steps/index.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const { createLogger } = await import('../../../src/logging/logger.js');
    const { expandStep } = await import('../../../src/pipeline/steps/expand.js');
    const handlers = createStepHandlers(loadConfig({}), createLogger({ level: 'silent' }));
    const realExpand = handlers.expand as NonNullable<typeof handlers.expand>;
    // The lane machinery with more than the default one lane (an ExpandOptions setting).
    const twoLanes = expandStep({ bigEntriesAtOnce: 2 });
    type Ctx = Parameters<typeof realExpand>[0];
    /** The real step (or `step`), with the client's dataObjects replaced. */
    const expandWith = (ctx: Ctx, dataObjects: DataObjects, step = realExpand) => step({ ...ctx, irods: { ...ctx.irods, username: ctx.irods.username, dataObjects } });
    handlers.expand = async (ctx) => {
      if (ctx.archive.logical_path.includes('lanes-')) {
        const step = ctx.archive.logical_path.includes('lanes-one') ? realExpand : twoLanes;
        return expandWith(ctx, counted(ctx.irods.dataObjects, ctx.attempt, ctx.attempt === 1 && ctx.archive.logical_path.includes('lanes-fail')), step);
      }
      if (ctx.archive.logical_path.includes('verify-')) {
        const wrongOnce = ctx.archive.logical_path.includes('verify-wrong') && ctx.attempt === 1;
        return expandWith(ctx, watched(ctx.irods.dataObjects, wrongOnce));
      }
      if (!ctx.archive.logical_path.includes('crash-me') || ctx.attempt > 1) return realExpand(ctx);
      let writes = 0;
      return expandWith(
        ctx,
        intercept(ctx.irods.dataObjects, {
          writeChunk: async (call, args) => {
            if (++writes > 25) {
              crashes += 1;
              throw new Error('simulated crash in the middle of the archive');
            }
            return call(...args);
          },
        }),
      );
    };
    crashAgent = await startTestAgent({ label: 'crash', irods: client, workers: handlers });
  });
  afterAll(async () => {
    await crashAgent?.close();
  });

  /** What the expand step asked of iRODS, in order ('write big1.bin', 'checksum done big1.bin'). */
  const timeline: string[] = [];
  /** Opens when big2.bin starts streaming: big1.bin's checksum answers only then. */
  let big2Streaming = new Gate();
  const nameOf = (args: unknown[]): string => String(args[0]).slice(String(args[0]).lastIndexOf('/') + 1);
  /**
   * Records streamed writes and checksums of *.bin objects. The checksum of big1.bin answers once
   * big2.bin has started streaming (or, if that never comes, after the gate's bound); with
   * `wrong`, checksums come back wrong (as if the bytes had changed on the way).
   */
  function watched(dataObjects: DataObjects, wrong: boolean): DataObjects {
    return intercept(dataObjects, {
      writeStream: async (call, args) => {
        if (nameOf(args).endsWith('.bin')) timeline.push(`write ${nameOf(args)}`);
        if (nameOf(args) === 'big2.bin') big2Streaming.open();
        return call(...args);
      },
      calculateChecksum: async (call, args) => {
        const checksum = await call(...args);
        if (!nameOf(args).endsWith('.bin')) return checksum;
        if (nameOf(args) === 'big1.bin') await big2Streaming.wait();
        timeline.push(`checksum done ${nameOf(args)}`);
        return wrong ? 'sha2:d3Jvbmc=' : checksum;
      },
    });
  }

  /**
   * Streamed writes: started ('1:big0.bin', by attempt), in flight now and at most. A big write,
   * once its bytes are in, holds its lane until `holdLanes` opens, which the test opens when the
   * code had every chance to start more big streams than it should. With `failFirst`, the write
   * of big0.bin fails at once.
   */
  const streaming = { started: [] as string[], now: 0, most: 0, smallWritten: 0 };
  let holdLanes = new Gate();
  /** Called after each counted event: opens holdLanes when the test's condition holds. */
  let onProgress: () => void = () => undefined;
  function counted(dataObjects: DataObjects, attempt: number, failFirst: boolean): DataObjects {
    return intercept(dataObjects, {
      writeStream: async (call, args) => {
        streaming.started.push(`${attempt}:${nameOf(args)}`);
        if (failFirst && nameOf(args) === 'big0.bin') throw new Error('simulated write failure');
        streaming.most = Math.max(streaming.most, ++streaming.now);
        onProgress();
        try {
          const result = await call(...args);
          await holdLanes.wait();
          return result;
        } finally {
          streaming.now -= 1;
        }
      },
      writeChunk: async (call, args) => {
        const result = await call(...args);
        if (nameOf(args).endsWith('.txt')) streaming.smallWritten += 1;
        onProgress();
        return result;
      },
    });
  }

  async function landOn(target: TestAgent, localPath: string, name: string) {
    const folder = `/tempZone/home/alice/big-${++folders}`;
    await alice.client.collections.create(folder);
    const lpath = `${folder}/${name}`;
    const size = await uploadFile(alice.client, lpath, localPath);
    const res = await target.postEvent(landedEvent(lpath, { size }));
    return { lpath, jobId: res.json.job_id as string };
  }

  for (const format of ['zip', 'tar'] as const) {
    it(`streams big ${format} entries with parallel writes and small ones in between, byte-exact`, async () => {
      const big = randomBytes(9 * MiB + 12345);
      const entries = [
        { name: 'transfer.xml', data: '<OME/>' },
        { name: 'root_0/2024-01/02/img/big.ome.tiff', data: big },
        ...Array.from({ length: 40 }, (_, i) => ({ name: `root_0/small/${i}.txt`, data: `file ${i}` })),
        { name: 'root_0/2024-01/02/img/big2.tiff', data: big.subarray(0, 5 * MiB) },
      ];
      const path = format === 'zip' ? await buildZip(entries) : await buildTar(entries, { dotSlash: true });
      const { lpath, jobId } = await landOn(crashAgent, path, `big.${format}`);
      await waitForJob(crashAgent.db.pool, jobId);
      await expectExpandedAsLocally(lpath, path, format);
    });
  }

  it('verifies a big entry while the next one streams, and still waits for every verification', async () => {
    const tar = await buildTar([
      { name: 'transfer.xml', data: '<OME/>' },
      { name: 'img/big1.bin', data: randomBytes(3 * MiB) },
      { name: 'img/big2.bin', data: randomBytes(2 * MiB) },
    ]);
    timeline.length = 0;
    big2Streaming = new Gate();
    const { lpath, jobId } = await landOn(crashAgent, tar, 'verify-overlap.tar');
    await waitForJob(crashAgent.db.pool, jobId);
    // big2 started streaming before big1's checksum came back; the step ended after both.
    expect(timeline.indexOf('write big2.bin')).toBeLessThan(timeline.indexOf('checksum done big1.bin'));
    expect(timeline).toContain('checksum done big2.bin');
    const { rows } = await crashAgent.db.pool.query(
      "SELECT e.path, e.state, e.irods_checksum FROM entries e WHERE e.job_id = $1 AND e.kind = 'file' ORDER BY e.path",
      [jobId],
    );
    expect(rows.map((r: { path: string; state: string }) => `${r.path} ${r.state}`)).toEqual(['img/big1.bin written', 'img/big2.bin written', 'transfer.xml written']);
    await expectExpandedAsLocally(lpath, tar, 'tar');
  });

  /**
   * Expands a zip of `bigCount` big entries and 20 small ones; the most big streams in flight at
   * once. Big writes hold their lanes until `enough()` (checked as writes start and finish).
   */
  async function mostBigStreams(name: string, bigCount: number, enough: () => boolean): Promise<number> {
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME/>' },
      ...Array.from({ length: bigCount }, (_, i) => ({ name: `img/big${i}.bin`, data: randomBytes(2 * MiB + i) })),
      ...Array.from({ length: 20 }, (_, i) => ({ name: `small/${i}.txt`, data: `small ${i}` })),
    ]);
    Object.assign(streaming, { most: 0, now: 0, smallWritten: 0 });
    holdLanes = new Gate();
    onProgress = () => {
      if (enough()) holdLanes.open();
    };
    const { lpath, jobId } = await landOn(crashAgent, zip, name);
    await waitForJob(crashAgent.db.pool, jobId);
    await expectExpandedAsLocally(lpath, zip, 'zip');
    return streaming.most;
  }

  it('streams one big zip entry at a time by default, while small ones go on beside it', async () => {
    // The first big write holds its lane until every small file is written: a second lane
    // would have started another big entry meanwhile.
    expect(await mostBigStreams('lanes-one.zip', 3, () => streaming.smallWritten === 20)).toBe(1);
    expect(holdLanes.isOpen).toBe(true);
  });

  it('with two lanes, streams two big zip entries at once, never more, while small ones go on beside them', async () => {
    // Big writes hold their lanes until two stream at once and every small file is written.
    expect(await mostBigStreams('lanes-two.zip', 5, () => streaming.now === 2 && streaming.smallWritten === 20)).toBe(2);
    expect(holdLanes.isOpen).toBe(true);
  });

  it('with two lanes, starts no big entry waiting for a lane once another has failed', async () => {
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME/>' },
      ...Array.from({ length: 4 }, (_, i) => ({ name: `img/big${i}.bin`, data: randomBytes(2 * MiB + i) })),
    ]);
    streaming.started = [];
    holdLanes = new Gate();
    holdLanes.open(); // nothing to hold: the failure decides the order
    const { lpath, jobId } = await landOn(crashAgent, zip, 'lanes-fail.zip');
    await waitForJob(crashAgent.db.pool, jobId);
    // The first attempt streamed big0 (failed) and big1 (already in the other lane), then stopped;
    // the second wrote the rest.
    expect(streaming.started.filter((s) => s.startsWith('1:')).sort()).toEqual(['1:big0.bin', '1:big1.bin']);
    expect(streaming.started).toEqual(expect.arrayContaining(['2:big0.bin', '2:big2.bin', '2:big3.bin']));
    await expectExpandedAsLocally(lpath, zip, 'zip');
  });

  it('fails the attempt when iRODS reports another checksum for a big entry, and writes it again on the retry', async () => {
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME/>' },
      { name: 'img/big.bin', data: randomBytes(3 * MiB) },
      ...Array.from({ length: 5 }, (_, i) => ({ name: `small/${i}.txt`, data: `small ${i}` })),
    ]);
    const { lpath, jobId } = await landOn(crashAgent, zip, 'verify-wrong.zip');
    await waitForJob(crashAgent.db.pool, jobId);
    const { rows } = await crashAgent.db.pool.query("SELECT attempts FROM job_steps WHERE job_id = $1 AND step = 'expand'", [jobId]);
    expect(rows[0].attempts).toBe(2);
    const { rows: audit } = await crashAgent.db.pool.query("SELECT count(*)::int AS n FROM audit WHERE job_id = $1 AND action = 'write' AND lpath LIKE '%/img/big.bin'", [jobId]);
    expect(audit[0].n).toBe(1);
    await expectExpandedAsLocally(lpath, zip, 'zip');
  });

  it('resumes after a crash in the middle of an archive: what was written is skipped, the tree is byte-exact', async () => {
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME/>' },
      ...Array.from({ length: 80 }, (_, i) => ({ name: `root_0/d${i % 4}/${i}.bin`, data: randomBytes(1000 + i) })),
    ]);
    const before = crashes;
    const { lpath, jobId } = await landOn(crashAgent, zip, 'crash-me.zip');
    await waitForJob(crashAgent.db.pool, jobId);
    expect(crashes).toBeGreaterThan(before);
    const { rows } = await crashAgent.db.pool.query("SELECT attempts, detail FROM job_steps WHERE job_id = $1 AND step = 'expand'", [jobId]);
    expect(rows[0].attempts).toBe(2);
    expect(rows[0].detail.files_skipped).toBeGreaterThan(0);
    expect(rows[0].detail.files_skipped + rows[0].detail.files_written).toBe(81);
    await expectExpandedAsLocally(lpath, zip, 'zip');
  });

  it('leaves exactly the same tree when the expansion is replayed', async () => {
    const zip = await buildZip([{ name: 'transfer.xml', data: '<OME/>' }, ...Array.from({ length: 10 }, (_, i) => ({ name: `f/${i}.txt`, data: `x${i}` }))]);
    const { lpath, jobId } = await landOn(crashAgent, zip, 'replayed.zip');
    await waitForJob(crashAgent.db.pool, jobId);
    const target = lpath.replace(/\.zip$/, '');
    const first = await irodsTree(irods.client, target);
    await replay(crashAgent, jobId, 'expand');
    await waitForJob(crashAgent.db.pool, jobId);
    expect(await irodsTree(irods.client, target)).toEqual(first);
    const { rows } = await crashAgent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'expand' AND run = 2", [jobId]);
    expect(rows[0].detail).toMatchObject({ files_written: 0, files_skipped: 11 });
    expect(await agentAvus(irods.client, `${target}/f/1.txt`)).toEqual({ source_archive: [lpath] });
  });
});
