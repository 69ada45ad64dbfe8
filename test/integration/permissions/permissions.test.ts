import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IrodsClient } from '../../../src/irods/types.js';
import { digestOf } from '../../../src/users/user-map.js';
import { buildZip, extractWithSystemTool, removeTempArchives, runSystemTool, tempArchivePath, tempDir } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, irodsTree, replay, uploadFile, waitForJob } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

/**
 * The permissions step end to end: real agent and workers, the iRODS stand-in enforcing ACLs the
 * way iRODS does (STRICT: a rodsuser cannot even see what it cannot read), and a mapping file
 * the agent watches. The fixtures' transfer.xml say original_user `root`, original_group `system`.
 */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
type User = Awaited<ReturnType<IrodsForTest['makeUser']>>;

let irods: IrodsForTest;
let agent: TestAgent;
let mapPath: string;
let alice: User; // uploads
let carol: User; // OMERO root's iRODS account in most mappings
let dave: User; // member of labx
let mallory: User; // nobody maps to her

const OWNER_AND_GROUP = `users:\n  root: carol\ngroups:\n  system: labx\n`;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  carol = await irods.makeUser('carol');
  dave = await irods.makeUser('dave');
  mallory = await irods.makeUser('mallory');
  await irods.client.users.createGroup('labx');
  await irods.client.users.addToGroup('dave', 'labx', { zone: irods.zone });
  mapPath = join(await tempDir(), 'user-map.yaml');
  await writeFile(mapPath, OWNER_AND_GROUP);
  agent = await startTestAgent({
    label: 'permissions',
    irods: irods.client,
    workers: true,
    env: { AGENT_USER_MAP: mapPath, AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
  });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

/** Replaces the mapping file in one step (as docs/user-mapping.md asks) and waits for the agent to load it. */
async function useMapping(text: string): Promise<void> {
  await writeFile(`${mapPath}.new`, text);
  await rename(`${mapPath}.new`, mapPath);
  await waitFor('the agent to reload the user mapping', () => agent.userMap?.current().digest === digestOf(text), { timeoutMs: 15_000 });
}

let folders = 0;

/** Uploads as alice into a fresh folder. */
async function uploadAsAlice(localPath: string, name = basename(localPath)): Promise<{ lpath: string; size: number }> {
  const folder = `/tempZone/home/alice/perm-${++folders}`;
  await alice.client.collections.create(folder);
  const lpath = `${folder}/${name}`;
  return { lpath, size: await uploadFile(alice.client, lpath, localPath) };
}

/** Uploads as alice into a fresh folder and delivers the event; returns the archive, its target and the job. */
async function land(localPath: string, name = basename(localPath)): Promise<{ lpath: string; target: string; jobId: string }> {
  const { lpath, size } = await uploadAsAlice(localPath, name);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return { lpath, target: lpath.replace(/\.(zip|tar)$/, ''), jobId: res.json.job_id as string };
}

/** A copy of a fixture whose transfer.xml names another original owner and group. */
async function withOwner(fixture: string, user: string, group: string): Promise<string> {
  const dir = await tempDir();
  await runSystemTool('unzip', ['-q', `${FIXTURES}${fixture}`, '-d', dir]);
  const xml = await readFile(join(dir, 'transfer.xml'), 'utf8');
  await writeFile(
    join(dir, 'transfer.xml'),
    xml.replaceAll('<original_user>root</original_user>', `<original_user>${user}</original_user>`).replaceAll(
      '<original_group>system</original_group>',
      `<original_group>${group}</original_group>`,
    ),
  );
  const out = await tempArchivePath('.zip');
  await runSystemTool('zip', ['-q', '-r', out, '.'], { cwd: dir });
  return out;
}

/** Every lpath of the tree with its ACL (and inheritance), as the rodsadmin sees it. */
async function aclSnapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const lpath of [root, ...(await irods.client.collections.list(root, { recurse: true }))]) {
    let perms: readonly { name: string; perm: string }[];
    let inherit = '';
    try {
      const s = await irods.client.collections.stat(lpath);
      perms = s.permissions;
      inherit = s.inheritanceEnabled ? ' +inherit' : '';
    } catch {
      perms = (await irods.client.dataObjects.stat(lpath)).permissions;
    }
    out[lpath] = perms.map((p) => `${p.name}:${p.perm}`).sort().join(' ') + inherit;
  }
  return out;
}

async function cannotSee(client: IrodsClient, target: string): Promise<void> {
  await expect(client.collections.list(target)).rejects.toThrow();
  await expect(client.dataObjects.read(`${target}/transfer.xml`)).rejects.toThrow();
}

async function permissionsDetail(jobId: string): Promise<Record<string, unknown>[]> {
  const { rows } = await agent.db.pool.query<{ detail: Record<string, unknown> }>(
    "SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'permissions' ORDER BY run",
    [jobId],
  );
  return rows.map((r) => r.detail);
}

async function aclAuditCount(jobId: string): Promise<number> {
  const { rows } = await agent.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit WHERE job_id = $1 AND action IN ('modify_permissions', 'set_permission', 'set_inheritance')",
    [jobId],
  );
  return rows[0]?.n ?? 0;
}

describe('permissions on an expanded archive', () => {
  it('lets the mapped owner, the mapped group and the uploader read every expanded file, and nobody else', async () => {
    await useMapping(OWNER_AND_GROUP);
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_project.zip`);
    const archiveAclBefore = (await irods.client.dataObjects.stat(lpath)).permissions;
    await waitForJob(agent.db.pool, jobId);

    const expected = await extractWithSystemTool(`${FIXTURES}valid_single_project.zip`, 'zip');
    for (const who of [carol, dave, alice]) {
      const seen = await irodsTree(who.client, target);
      expect(seen.files, `${who.name} reads every file`).toEqual(expected.files);
      expect(seen.directories, `${who.name} sees every folder`).toEqual(expected.directories);
    }
    await cannotSee(mallory.client, target);

    const acls = await aclSnapshot(target);
    expect(acls[target]).toBe('alice:own carol:own labx:read_object rods:own +inherit');
    expect(acls[`${target}/pixel_images/52.tiff`]).toBe('alice:own carol:own labx:read_object rods:own');

    // The archive keeps its uploader's ACL; the agent only added its own read (expand step).
    const archiveAclAfter = (await irods.client.dataObjects.stat(lpath)).permissions;
    const fmt = (ps: readonly { name: string; perm: string }[]) => ps.map((p) => `${p.name}:${p.perm}`).sort();
    expect(fmt(archiveAclAfter)).toEqual([...fmt(archiveAclBefore), 'rods:read_object'].sort());

    const status = await agentAvus(irods.client, lpath);
    expect(status.status).toEqual(['expanded']);
    expect(status.flag ?? []).not.toContain('no_user_mapping');

    // Every decision is audited with the mapping that made it.
    const { rows } = await agent.db.pool.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit WHERE job_id = $1 AND action = 'permission_decision'",
      [jobId],
    );
    expect(rows.map((r) => [r.detail.subject, r.detail.entity, r.detail.rule])).toEqual(
      expect.arrayContaining([
        ['uploader', 'alice', 'access.uploader'],
        ['original_user', 'carol', 'users.root'],
        ['original_group', 'labx', 'groups.system'],
      ]),
    );
    expect(new Set(rows.map((r) => r.detail.user_map_digest))).toEqual(new Set([digestOf(OWNER_AND_GROUP)]));
    expect(rows[0]?.detail.user_map).toBe(mapPath);

    // Current ACLs came from bulk queries, not one stat per object.
    const [detail] = await permissionsDetail(jobId);
    expect(detail).toMatchObject({ acl_read: 'genquery', stats: 0, data_objects: Object.keys(expected.files).length });
    expect(detail?.modify_permissions).toBe(Object.keys(expected.files).length + expected.directories.length + 1);
  });

  it('gives files added later the same access through inheritance', async () => {
    await useMapping(OWNER_AND_GROUP);
    const { target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    await waitForJob(agent.db.pool, jobId);
    await alice.client.dataObjects.writeChunk(`${target}/notes.txt`, Buffer.from('added after expansion'));
    expect((await carol.client.dataObjects.read(`${target}/notes.txt`)).toString()).toBe('added after expansion');
    expect((await dave.client.dataObjects.read(`${target}/notes.txt`)).toString()).toBe('added after expansion');
    await expect(mallory.client.dataObjects.read(`${target}/notes.txt`)).rejects.toThrow();
  });

  it('changes no ACL when replayed from permissions, and leaves the same ACLs', async () => {
    await useMapping(OWNER_AND_GROUP);
    const { target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    await waitForJob(agent.db.pool, jobId);
    const before = await aclSnapshot(target);
    const changesBefore = await aclAuditCount(jobId);
    expect(changesBefore).toBeGreaterThan(0);

    await replay(agent, jobId, 'permissions');
    await waitForJob(agent.db.pool, jobId);
    expect(await aclSnapshot(target)).toEqual(before);
    expect(await aclAuditCount(jobId)).toBe(changesBefore);
    const runs = await permissionsDetail(jobId);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ changed: 0, modify_permissions: 0, set_permission: 0, set_inheritance: 0, stats: 0 });
  });
});

describe('the uploader the event names', () => {
  it('is granted nothing when iRODS does not show them holding the archive (a forged or mistaken event), and the job says so', async () => {
    await useMapping(OWNER_AND_GROUP);
    const { lpath, size } = await uploadAsAlice(`${FIXTURES}valid_single_project.zip`);
    // mallory claims alice's upload: she has no ACL on it.
    const res = await agent.postEvent(landedEvent(lpath, { size }, 'mallory'));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    const job = await waitForJob(agent.db.pool, res.json.job_id as string);
    const target = lpath.replace(/\.zip$/, '');

    await cannotSee(mallory.client, target);
    expect((await irodsTree(carol.client, target)).files).toHaveProperty(['transfer.xml']);
    expect(job.flags).toContain('uploader_unverified');
    expect(job.warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('the event named mallory as the uploader, but in iRODS mallory neither owns nor may write')]),
    );
    const { rows } = await agent.db.pool.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit WHERE job_id = $1 AND action = 'permission_decision' AND detail->>'subject' = 'uploader'",
      [job.id],
    );
    expect(rows.map((r) => [r.detail.entity, r.detail.rule])).toEqual([[null, 'uploader_check']]);
  });

  it('is confirmed through a group that may write the archive (not through public)', async () => {
    await useMapping(OWNER_AND_GROUP);
    const { lpath, size } = await uploadAsAlice(`${FIXTURES}valid_single_project.zip`);
    await alice.client.dataObjects.setPermission(lpath, 'labx', 'write');
    await alice.client.dataObjects.setPermission(lpath, 'public', 'read');
    const res = await agent.postEvent(landedEvent(lpath, { size }, 'dave'));
    const job = await waitForJob(agent.db.pool, res.json.job_id as string);
    expect(job.flags ?? []).not.toContain('uploader_unverified');
    const acls = await aclSnapshot(lpath.replace(/\.zip$/, ''));
    expect(Object.values(acls).every((acl) => acl.includes('dave:own'))).toBe(true);
  });
});

describe('when the original owner maps to nobody', () => {
  it('uploader-only: succeeds, grants only the uploader, and records the warning on the job and on the archive', async () => {
    await useMapping('no_match: uploader-only\ngroups:\n  system: null\n');
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).toContain('no_user_mapping');
    expect(job.warnings).toEqual([expect.stringMatching(/OMERO user 'root' has no iRODS user in the mapping.*only the uploader was given access/)]);
    const status = await agentAvus(irods.client, lpath);
    expect(status.status).toEqual(['expanded']);
    expect(status.flag).toContain('no_user_mapping');
    expect(status.warning).toEqual(job.warnings);

    expect(Object.keys((await irodsTree(alice.client, target)).files)).toContain('transfer.xml');
    await cannotSee(carol.client, target);
    await cannotSee(dave.client, target);
  });

  it('forgets the warning once the admin maps the owner and replays: job and archive show the new outcome only', async () => {
    await useMapping('no_match: uploader-only\ngroups:\n  system: null\n');
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    expect((await waitForJob(agent.db.pool, jobId)).flags).toContain('no_user_mapping');

    await useMapping('users:\n  root: carol\ngroups:\n  system: null\n');
    await replay(agent, jobId, 'permissions');
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).not.toContain('no_user_mapping');
    expect(job.warnings).toEqual([]);
    const status = await agentAvus(irods.client, lpath);
    expect(status.flag ?? []).not.toContain('no_user_mapping');
    expect(status.warning).toBeUndefined();
    expect(Object.keys((await irodsTree(carol.client, target)).files)).toContain('transfer.xml');
  });

  it('fail: fails with no_user_mapping naming the OMERO user, and grants nothing', async () => {
    await useMapping('no_match: fail\n');
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.step).toBe('permissions');
    expect(job.error_code).toBe('no_user_mapping');
    expect(job.error_message).toMatch(/OMERO user 'root'.*add it under "users" in .*user-map\.yaml/);
    const status = await agentAvus(irods.client, lpath);
    expect(status.status).toEqual(['failed']);
    expect(status.error?.[0]).toContain("'root'");
    // Not even the uploader was granted: the tree stays the agent's alone until the mapping is fixed.
    await cannotSee(alice.client, target);

    // The fix: map the user, replay; the reloaded mapping applies to the replay.
    await useMapping(`no_match: fail\n${OWNER_AND_GROUP}`);
    await replay(agent, jobId, 'permissions');
    await waitForJob(agent.db.pool, jobId);
    expect(Object.keys((await irodsTree(carol.client, target)).files)).toContain('transfer.xml');
  });
});

describe('when transfer.xml names no owner', () => {
  it('grants only the uploader when transfer.xml cannot be parsed, even with no_match: fail, and says why', async () => {
    await useMapping(`no_match: fail\n${OWNER_AND_GROUP}`);
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME><Image ID="Image:1"></OME>' },
      { name: 'data/a.txt', data: 'a' },
    ]);
    const { lpath, target, jobId } = await land(zip, 'broken.zip');
    // Permissions run before metadata, which then fails alone on the same file (replayable).
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job).toMatchObject({ step: 'metadata', error_code: 'transfer_xml_invalid' });
    expect(job.flags).toContain('no_provenance');
    expect(job.warnings).toEqual([expect.stringMatching(/^transfer\.xml cannot be parsed \(.+\), so the original OMERO owners are unknown; only the uploader was given access$/)]);
    expect((await agentAvus(irods.client, lpath)).warning).toEqual(job.warnings);
    expect(Object.keys((await irodsTree(alice.client, target)).files).sort()).toEqual(['data/a.txt', 'transfer.xml']);
    await cannotSee(carol.client, target);
  });
});

describe('the mapping file', () => {
  it('is reloaded between two jobs without restarting the agent', async () => {
    await useMapping(OWNER_AND_GROUP);
    const first = await land(`${FIXTURES}valid_single_dataset.zip`);
    await waitForJob(agent.db.pool, first.jobId);

    const erin = await irods.makeUser('erin');
    await useMapping('users:\n  root: erin\ngroups:\n  system: null\n');
    const second = await land(`${FIXTURES}valid_single_dataset.zip`);
    await waitForJob(agent.db.pool, second.jobId);

    expect(Object.keys((await irodsTree(erin.client, second.target)).files)).toContain('transfer.xml');
    await cannotSee(carol.client, second.target);
    await cannotSee(dave.client, second.target);
    // The first tree keeps what its own plan granted.
    expect(Object.keys((await irodsTree(carol.client, first.target)).files)).toContain('transfer.xml');
    await cannotSee(erin.client, first.target);
  });

  it('fails the job, naming the user and the mapping entry, when a mapped iRODS user does not exist; a replay after creating it succeeds', async () => {
    await useMapping('users:\n  root: ghost\ngroups:\n  system: labx\n');
    const { lpath, target, jobId } = await land(`${FIXTURES}valid_single_dataset.zip`);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job.step).toBe('permissions');
    expect(job.error_code).toBe('unknown_irods_user');
    expect(job.error_message).toMatch(/iRODS user 'ghost' \(users\.root, for OMERO user 'root'\) does not exist in iRODS.*Nothing was granted/);
    expect((await agentAvus(irods.client, lpath)).error?.[0]).toContain("'ghost'");
    await cannotSee(alice.client, target);
    await cannotSee(dave.client, target);

    const ghost = await irods.makeUser('ghost');
    await replay(agent, jobId, 'permissions');
    await waitForJob(agent.db.pool, jobId);
    expect(Object.keys((await irodsTree(ghost.client, target)).files)).toContain('transfer.xml');
  });

  it('keeps what the tree inherited from the upload folder, unless revoke makes the ACLs exactly the planned ones', async () => {
    /** Lands the archive in a folder with inheritance on that also lets mallory read. */
    const landShared = async (): Promise<{ target: string; jobId: string }> => {
      const folder = `/tempZone/home/alice/shared-${++folders}`;
      await alice.client.collections.create(folder);
      await alice.client.collections.modifyPermissions(folder, [{ entityName: 'mallory', acl: 'read' }]);
      await alice.client.collections.setInheritance(folder, true);
      const lpath = `${folder}/valid_single_dataset.zip`;
      const size = await uploadFile(alice.client, lpath, `${FIXTURES}valid_single_dataset.zip`);
      const res = await agent.postEvent(landedEvent(lpath, { size }));
      expect(res.status, JSON.stringify(res.json)).toBe(202);
      return { target: lpath.replace(/\.zip$/, ''), jobId: res.json.job_id as string };
    };

    await useMapping(OWNER_AND_GROUP);
    const kept = await landShared();
    await waitForJob(agent.db.pool, kept.jobId);
    expect(Object.keys((await irodsTree(mallory.client, kept.target)).files)).toContain('transfer.xml');

    await useMapping(`revoke: true\n${OWNER_AND_GROUP}`);
    const exact = await landShared();
    await waitForJob(agent.db.pool, exact.jobId);
    await cannotSee(mallory.client, exact.target);
    expect(Object.keys((await irodsTree(carol.client, exact.target)).files)).toContain('transfer.xml');
    for (const acl of Object.values(await aclSnapshot(exact.target))) {
      // The agent's own access is never lowered or removed, whatever it inherited.
      expect(acl.replace(/ rods:\w+/, '')).toMatch(/^alice:own carol:own labx:read_object( \+inherit)?$/);
    }
  });

  it('maps an owner to the iRODS user of the same name with same_name, only when iRODS has it', async () => {
    await useMapping('same_name: true\n');
    const jdoe = await irods.makeUser('jdoe');
    const known = await land(await withOwner('valid_single_dataset.zip', 'jdoe', 'labx'), 'jdoe.zip');
    const unknown = await land(await withOwner('valid_single_dataset.zip', 'nobody_here', 'no_such_group'), 'nobody.zip');
    const [job] = await Promise.all([waitForJob(agent.db.pool, known.jobId), waitForJob(agent.db.pool, unknown.jobId)]);
    expect(job.flags).not.toContain('no_user_mapping');

    expect(Object.keys((await irodsTree(jdoe.client, known.target)).files)).toContain('transfer.xml');
    expect(Object.keys((await irodsTree(dave.client, known.target)).files)).toContain('transfer.xml');
    const other = await agent.db.pool.query<{ flags: string[] }>('SELECT flags FROM jobs WHERE id = $1', [unknown.jobId]);
    expect(other.rows[0]?.flags).toEqual(expect.arrayContaining(['no_user_mapping', 'no_group_mapping']));
    await cannotSee(jdoe.client, unknown.target);
  });
});
