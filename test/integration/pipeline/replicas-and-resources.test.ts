import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import type { StepRegistry } from '../../../src/pipeline/step-context.js';
import { createStepHandlers } from '../../../src/pipeline/steps/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { buildZip, removeTempArchives, tempDir } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { irodsTree, waitForJob } from '../../support/pipeline.js';

/**
 * The agent with several replicas and resources: which replica of the archive it reads, where it
 * writes the expanded tree (AGENT_TARGET_RESOURCE), and what it does when the archive is written
 * again between inspect and expand.
 */

let irods: IrodsForTest;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
let vaults: string;
let folders = 0;

const ENTRIES = [
  { name: 'notes.txt', data: 'a scientist wrote this' },
  { name: 'images/a.tif', data: 'pixels of a' },
  { name: 'images/b.tif', data: Buffer.alloc(70_000, 3) },
];

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  vaults = await tempDir();
  // A second root resource beside the default demoResc (its vault on this host, as the stand-in's).
  const created = await fetch(`${irods.standin.baseUrl}/resources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ op: 'create', name: 'archiveResc', type: 'unixfilesystem', host: 'localhost', 'vault-path': `${vaults}/archive-vault` }),
  });
  expect(created.status).toBe(200);
});
afterAll(async () => {
  await irods?.close();
  await removeTempArchives();
});

async function adminToken(): Promise<string> {
  const res = await fetch(`${irods.standin.baseUrl}/authenticate`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('rods:rods').toString('base64')}` } });
  return res.text();
}

async function folder(): Promise<string> {
  const path = `/tempZone/home/alice/replicas-${++folders}`;
  await alice.client.collections.create(path);
  return path;
}

/** The storage resource and status of each replica of `lpath`. */
async function replicasOf(lpath: string): Promise<string[][]> {
  const i = lpath.lastIndexOf('/');
  return irods.client.query.genqueryAll(
    `SELECT DATA_REPL_NUM, DATA_REPL_STATUS, DATA_RESC_NAME WHERE COLL_NAME = '${lpath.slice(0, i)}' AND DATA_NAME = '${lpath.slice(i + 1)}'`,
  );
}

async function withAgent<T>(label: string, env: Record<string, string>, run: (agent: TestAgent) => Promise<T>, workers: (agent: TestAgent) => StepRegistry | true = () => true): Promise<T> {
  const config = loadConfig({ IRODS_PASSWORD: 'rods', ...env });
  const registry = workers({ config } as TestAgent);
  const agent = await startTestAgent({ label, irods: irods.client, workers: registry, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env } });
  try {
    return await run(agent);
  } finally {
    await agent.close();
  }
}

async function post(agent: TestAgent, lpath: string): Promise<string> {
  const size = (await alice.client.dataObjects.stat(lpath)).size;
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return res.json.job_id as string;
}

async function stepDetail(agent: TestAgent, jobId: string, step: string): Promise<Record<string, unknown>> {
  const { rows } = await agent.db.pool.query<{ detail: Record<string, unknown> }>('SELECT detail FROM job_steps WHERE job_id = $1 AND step = $2 ORDER BY run DESC LIMIT 1', [jobId, step]);
  return rows[0]?.detail ?? {};
}

describe('the archive read from a good replica', () => {
  it('reads the good replica on another resource, never the stale one left on the default resource', async () => {
    const parent = await folder();
    const lpath = `${parent}/project.zip`;
    const good = await readFile(await buildZip(ENTRIES));
    // Replica 0 (demoResc) and 1 (archiveResc) hold the archive; then replica 0 gets other bytes
    // of the same size and replica 1 the archive again: 1 good, 0 stale and wrong.
    await alice.client.dataObjects.writeChunk(lpath, good);
    await fetch(`${irods.standin.baseUrl}/data-objects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ op: 'replicate', lpath, 'dst-resource': 'archiveResc', admin: '1' }),
    });
    await alice.client.dataObjects.writeChunk(lpath, Buffer.alloc(good.length, 0x5a), { resource: 'demoResc' });
    await alice.client.dataObjects.writeChunk(lpath, good, { resource: 'archiveResc' });
    expect(await replicasOf(lpath)).toEqual([
      ['0', '0', 'demoResc'],
      ['1', '1', 'archiveResc'],
    ]);

    await withAgent('replica-read', {}, async (agent) => {
      const jobId = await post(agent, lpath);
      await waitForJob(agent.db.pool, jobId);
      for (const step of ['inspect', 'expand']) {
        expect(await stepDetail(agent, jobId, step)).toMatchObject({ replica: { number: 1, resource: 'archiveResc' } });
      }
    });
    const tree = await irodsTree(irods.client, `${parent}/project`);
    expect(Object.keys(tree.files).sort()).toEqual(['images/a.tif', 'images/b.tif', 'notes.txt']);
    expect(tree.files['images/a.tif']?.size).toBe(11);
  });

  it('expands an archive whose only replica is on a non-default resource', async () => {
    const parent = await folder();
    const lpath = `${parent}/elsewhere.zip`;
    await alice.client.dataObjects.writeChunk(lpath, await readFile(await buildZip(ENTRIES)), { resource: 'archiveResc' });
    expect(await replicasOf(lpath)).toEqual([['0', '1', 'archiveResc']]);
    await withAgent('replica-elsewhere', {}, async (agent) => {
      await waitForJob(agent.db.pool, await post(agent, lpath));
    });
    expect(Object.keys((await irodsTree(irods.client, `${parent}/elsewhere`)).files)).toHaveLength(3);
  });

  it('fails with archive_changed when the archive is written again (same size) between inspect and expand', async () => {
    const parent = await folder();
    const lpath = `${parent}/rewritten.zip`;
    const first = await readFile(await buildZip(ENTRIES));
    await alice.client.dataObjects.writeChunk(lpath, first);
    const second = Buffer.alloc(first.length, 0x20);
    await withAgent(
      'replica-rewritten',
      {},
      async (agent) => {
        const job = await waitForJob(agent.db.pool, await post(agent, lpath), ['failed']);
        expect(job.step).toBe('expand');
        expect(job.error_code).toBe('archive_changed');
      },
      ({ config }) => {
        const real = createStepHandlers(config, createLogger({ level: 'silent' }));
        const inspect = real.inspect;
        if (!inspect) throw new Error('no inspect handler');
        return {
          ...real,
          // The upload is replaced right after inspect settled on it: same size, other bytes.
          inspect: async (ctx) => {
            const result = await inspect(ctx);
            await alice.client.dataObjects.writeChunk(lpath, second);
            return result;
          },
        };
      },
    );
    // Nothing of the second version was expanded under the first's job.
    expect(await irods.client.collections.list(`${parent}/rewritten`).catch(() => [])).toEqual([]);
  });
});

describe('AGENT_TARGET_RESOURCE', () => {
  it('writes every expanded object to the named resource', async () => {
    const parent = await folder();
    const lpath = `${parent}/targeted.zip`;
    await alice.client.dataObjects.writeChunk(lpath, await readFile(await buildZip(ENTRIES)));
    await withAgent('target-resource', { AGENT_TARGET_RESOURCE: 'archiveResc' }, async (agent) => {
      await waitForJob(agent.db.pool, await post(agent, lpath));
    });
    for (const name of ['notes.txt', 'images/a.tif', 'images/b.tif']) {
      expect(await replicasOf(`${parent}/targeted/${name}`)).toEqual([['0', '1', 'archiveResc']]);
    }
    // The archive itself stays where the scientist put it.
    expect(await replicasOf(lpath)).toEqual([['0', '1', 'demoResc']]);
  });
});
