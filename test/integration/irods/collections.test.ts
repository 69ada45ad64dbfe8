import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsError, isNotFound } from '../../../src/irods/errors.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

async function failure(promise: Promise<unknown>): Promise<IrodsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IrodsError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('iRODS client: collections', () => {
  let irods: IrodsForTest;
  let base: string;

  beforeAll(async () => {
    irods = await startIrodsForTest();
    base = `${irods.home()}/collections-test`;
    await irods.client.collections.create(base);
  });
  afterAll(async () => {
    await irods.close();
  });

  it('creates a collection with its missing parents, and says so only the first time', async () => {
    const deep = `${base}/a/b/c`;
    expect(await irods.client.collections.create(deep, { intermediates: true })).toEqual({ created: true });
    expect(await irods.client.collections.create(deep, { intermediates: true })).toEqual({ created: false });
    const stat = await irods.client.collections.stat(`${base}/a/b`);
    expect(stat.type).toBe('collection');
  });

  it('refuses to create a collection whose parent is missing without intermediates', async () => {
    const err = await failure(irods.client.collections.create(`${base}/missing-parent/child`));
    expect(err.code).toBeLessThan(0);
  });

  it('stats a collection with its owner permission and modification time', async () => {
    const stat = await irods.client.collections.stat(base);
    expect(stat.inheritanceEnabled).toBe(false);
    expect(stat.registered).toBe(true);
    expect(stat.modifiedAt).toBeGreaterThan(0);
    expect(stat.permissions).toContainEqual(expect.objectContaining({ name: 'rods', perm: 'own' }));
  });

  it('lists entries as absolute lpaths, recursively on request', async () => {
    const dir = `${base}/listing`;
    await irods.client.collections.create(`${dir}/sub`, { intermediates: true });
    await irods.client.dataObjects.writeChunk(`${dir}/one.txt`, Buffer.from('1'));
    await irods.client.dataObjects.writeChunk(`${dir}/sub/two.txt`, Buffer.from('2'));
    expect((await irods.client.collections.list(dir)).sort()).toEqual([`${dir}/one.txt`, `${dir}/sub`]);
    expect((await irods.client.collections.list(dir, { recurse: true })).sort()).toEqual(
      [`${dir}/one.txt`, `${dir}/sub`, `${dir}/sub/two.txt`].sort(),
    );
  });

  it('renames a collection and touches it', async () => {
    await irods.client.collections.create(`${base}/old-name`);
    await irods.client.collections.rename(`${base}/old-name`, `${base}/new-name`);
    expect(isNotFound(await failure(irods.client.collections.stat(`${base}/old-name`)))).toBe(true);
    await irods.client.collections.touch(`${base}/new-name`);
    expect((await irods.client.collections.stat(`${base}/new-name`)).type).toBe('collection');
  });

  it('removes a collection recursively', async () => {
    const dir = `${base}/doomed`;
    await irods.client.collections.create(`${dir}/inner`, { intermediates: true });
    await irods.client.dataObjects.writeChunk(`${dir}/inner/f`, Buffer.from('x'));
    const notEmpty = await failure(irods.client.collections.remove(dir));
    expect(notEmpty.code).toBeLessThan(0);
    await irods.client.collections.remove(dir, { recurse: true, noTrash: true });
    expect(isNotFound(await failure(irods.client.collections.stat(dir)))).toBe(true);
  });

  it('sets a permission and inheritance', async () => {
    const user = await irods.makeUser('colluser');
    const dir = `${base}/shared`;
    await irods.client.collections.create(dir);
    await irods.client.collections.setPermission(dir, user.name, 'read');
    await irods.client.collections.setInheritance(dir, true);
    const stat = await irods.client.collections.stat(dir);
    expect(stat.inheritanceEnabled).toBe(true);
    expect(stat.permissions).toContainEqual(expect.objectContaining({ name: user.name, perm: 'read_object' }));
    expect(await user.client.collections.list(dir)).toEqual([]);
  });

  it('applies a permission batch atomically and names the failed operation', async () => {
    const a = await irods.makeUser('acl-a');
    const b = await irods.makeUser('acl-b');
    const dir = `${base}/acl-batch`;
    await irods.client.collections.create(dir);
    await irods.client.collections.modifyPermissions(dir, [
      { entityName: a.name, acl: 'read' },
      { entityName: b.name, acl: 'write' },
    ]);
    let perms = (await irods.client.collections.stat(dir)).permissions;
    expect(perms).toContainEqual(expect.objectContaining({ name: a.name, perm: 'read_object' }));
    expect(perms).toContainEqual(expect.objectContaining({ name: b.name, perm: 'modify_object' }));

    const err = await failure(
      irods.client.collections.modifyPermissions(dir, [
        { entityName: a.name, acl: 'null' },
        { entityName: 'nobody-such-user', acl: 'read' },
      ]),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBeLessThan(0);
    expect(err.failedOperation?.index).toBe(1);
    // Atomic: the first operation of the failed batch did not stay applied.
    perms = (await irods.client.collections.stat(dir)).permissions;
    expect(perms).toContainEqual(expect.objectContaining({ name: a.name, perm: 'read_object' }));
  });

  it('applies a metadata batch atomically and names the failed operation', async () => {
    const dir = `${base}/avu-batch`;
    await irods.client.collections.create(dir);
    await irods.client.collections.modifyMetadata(dir, [
      { operation: 'add', attribute: 'omero.project', value: 'P1' },
      { operation: 'add', attribute: 'omero.size', value: '3', units: 'px' },
    ]);
    const q = `SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS WHERE COLL_NAME = '${dir}'`;
    expect((await irods.client.query.genqueryAll(q)).sort()).toEqual([
      ['omero.project', 'P1', ''],
      ['omero.size', '3', 'px'],
    ]);

    const err = await failure(
      irods.client.collections.modifyMetadata(dir, [
        { operation: 'add', attribute: 'omero.extra', value: 'E' },
        // iRODS refuses an empty value (removing an absent AVU would be a silent no-op).
        { operation: 'add', attribute: 'omero.empty', value: '' },
      ]),
    );
    expect(err.status).toBe(400);
    expect(err.codeName).toBe('SYS_INVALID_INPUT_PARAM');
    expect(err.failedOperation?.index).toBe(1);
    expect(await irods.client.query.genqueryAll(q)).toHaveLength(2);
  });

  it('lets a rodsuser see nothing it was not granted', async () => {
    const user = await irods.makeUser('outsider');
    const dir = `${base}/private`;
    await irods.client.collections.create(dir);
    const err = await failure(user.client.collections.list(dir));
    expect(err.code).toBeLessThan(0);
    const create = await failure(user.client.collections.create(`${dir}/intrusion`));
    expect(create.code).toBeLessThan(0);
  });
});
