import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip, removeTempArchives, tempDir, type ZipEntrySpec } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { replay, uploadFile, waitForJob } from '../../support/pipeline.js';

/**
 * What the permissions step costs in requests on a tree of many files: the ACLs are read with a
 * few paged GenQueries (the stand-in clamps pages at 15 rows, as the HTTP API does by default),
 * one atomic ACL request goes to each object that needs it, and a replay sends no ACL request.
 */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
const FOLDERS = 20;
const FILES_PER_FOLDER = 30;

let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
const requests = new Map<string, number>();

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  await irods.makeUser('carol');
  const counted = irods.clientFor('rods', 'rods', { admin: true, onRequest: ({ op }) => requests.set(op, (requests.get(op) ?? 0) + 1) });
  const mapPath = join(await tempDir(), 'user-map.yaml');
  await writeFile(mapPath, 'users:\n  root: carol\ngroups:\n  system: null\n');
  agent = await startTestAgent({
    label: 'permissions_big',
    irods: counted,
    workers: true,
    env: { AGENT_USER_MAP: mapPath, AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

const count = (op: string): number => requests.get(op) ?? 0;

describe('permissions on a big tree', () => {
  it('reads ACLs in bulk, sends one ACL request per object, and nothing on replay', async () => {
    const { stdout: transferXml } = await promisify(execFile)('unzip', ['-p', `${FIXTURES}valid_single_dataset.zip`, 'transfer.xml'], { encoding: 'buffer' });
    const entries: ZipEntrySpec[] = [{ name: 'transfer.xml', data: transferXml }];
    for (let d = 0; d < FOLDERS; d++) {
      for (let f = 0; f < FILES_PER_FOLDER; f++) entries.push({ name: `plate_${d}/well_${f}.txt`, data: `${d}/${f}` });
    }
    const files = entries.length;
    const collections = FOLDERS + 1;

    await alice.client.collections.create('/tempZone/home/alice/big');
    const lpath = '/tempZone/home/alice/big/many.zip';
    const size = await uploadFile(alice.client, lpath, await buildZip(entries));
    requests.clear();
    const res = await agent.postEvent(landedEvent(lpath, { size }));
    const jobId = res.json.job_id as string;
    await waitForJob(agent.db.pool, jobId, ['succeeded'], 120_000);

    // Every file, plus the expand step's read grant on the archive itself.
    expect(count('data-objects/modify_permissions')).toBe(files + 1);
    // The tree's collections, plus the expand step's write grant on the upload folder.
    expect(count('collections/modify_permissions')).toBe(collections + 1);
    expect(count('collections/set_inheritance')).toBe(collections);
    // No stat per object: the few there are (a handful, whatever the tree) belong to inspect and expand.
    expect(count('data-objects/stat')).toBeLessThan(10);
    expect(count('collections/stat')).toBeLessThan(10);
    const carol = irods.clientFor('carol', 'carol-pass-1234');
    expect((await carol.dataObjects.read('/tempZone/home/alice/big/many/plate_19/well_29.txt')).toString()).toBe('19/29');

    requests.clear();
    await replay(agent, jobId, 'permissions');
    await waitForJob(agent.db.pool, jobId, ['succeeded'], 120_000);
    expect(count('data-objects/modify_permissions')).toBe(0);
    expect(count('collections/modify_permissions')).toBe(0);
    expect(count('collections/set_inheritance')).toBe(0);
    // One stat, of the archive itself: iRODS must confirm the uploader holds it before they are granted anything.
    expect(count('data-objects/stat')).toBe(1);
    // ~4 ACL rows per object (rods, alice, carol) at 15 rows a page, and a handful of lookups.
    const queries = count('query/execute_genquery');
    expect(queries).toBeGreaterThan(0);
    expect(queries).toBeLessThan(files / 2);
  });
});
