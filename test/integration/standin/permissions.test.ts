import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const ALICE = '/tempZone/home/alice';

describe('iRODS HTTP API stand-in: permissions', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    target = await openApiTarget({
      users: [
        { name: 'alice', password: 'alicepass' },
        { name: 'bob', password: 'bobpass' },
      ],
    });
    base = target.baseUrl;
    [rods, alice, bob] = await Promise.all([tokenFor(base, 'rods', ADMIN_PASSWORD), tokenFor(base, 'alice', 'alicepass'), tokenFor(base, 'bob', 'bobpass')]);
    await post(base, 'collections', alice, { op: 'create', lpath: `${ALICE}/private` });
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/private/secret.txt`, bytes: 'secret' });
  });

  afterAll(async () => {
    await target.close();
  });

  const stat = (token: string, lpath: string) => get(base, 'data-objects', token, { op: 'stat', lpath });
  const read = (token: string, lpath: string) => get(base, 'data-objects', token, { op: 'read', lpath });
  const list = (token: string, lpath: string) => get(base, 'collections', token, { op: 'list', lpath });
  const grant = (token: string, endpoint: string, lpath: string, entity: string, permission: string, admin = 0) =>
    post(base, endpoint, token, { op: 'set_permission', lpath, 'entity-name': entity, permission, admin });
  const addAvu = (token: string, lpath: string, attribute: string, admin = 0) =>
    post(base, 'data-objects', token, { op: 'modify_metadata', lpath, admin, operations: JSON.stringify([{ operation: 'add', attribute, value: 'v' }]) });

  it("gives the creator own and hides another rodsuser's objects entirely (STRICT ACL policy)", async () => {
    expect((await stat(alice, `${ALICE}/private/secret.txt`)).json?.permissions).toEqual([{ name: 'alice', zone: 'tempZone', type: 'rodsuser', perm: 'own' }]);
    expect(statusCode(await stat(bob, `${ALICE}/private/secret.txt`))).toBe(CODES.NOT_A_DATA_OBJECT);
    expect((await read(bob, `${ALICE}/private/secret.txt`)).status).toBe(404);
    const listed = await list(bob, `${ALICE}/private`);
    expect(listed.status).toBe(400);
    expect(statusCode(listed)).toBe(CODES.NOT_A_COLLECTION);
    const meta = await addAvu(bob, `${ALICE}/private/secret.txt`, 'stolen');
    expect(meta.status).toBe(400);
    expect(statusCode(meta)).toBe(CODES.SYS_INVALID_INPUT_PARAM);
    expect((await grant(bob, 'data-objects', `${ALICE}/private/secret.txt`, 'bob', 'own')).status).toBe(400);
    const write = await post(base, 'data-objects', bob, { op: 'write', lpath: `${ALICE}/private/secret.txt`, bytes: 'mine' });
    expect(statusCode(write)).toBe(CODES.INVALID_HANDLE);
    expect((await read(alice, `${ALICE}/private/secret.txt`)).text).toBe('secret');
  });

  it('lets a rodsuser read, list and stat after set_permission, but not write, annotate or share', async () => {
    expect(statusCode(await grant(alice, 'collections', `${ALICE}/private`, 'bob', 'read'))).toBe(0);
    expect(statusCode(await grant(alice, 'data-objects', `${ALICE}/private/secret.txt`, 'bob', 'read_object'))).toBe(0);
    expect((await read(bob, `${ALICE}/private/secret.txt`)).text).toBe('secret');
    expect((await list(bob, `${ALICE}/private`)).json?.entries).toEqual([`${ALICE}/private/secret.txt`]);
    const perms = (await stat(bob, `${ALICE}/private/secret.txt`)).json?.permissions;
    expect(perms).toContainEqual({ name: 'bob', zone: 'tempZone', type: 'rodsuser', perm: 'read_object' });

    const meta = await addAvu(bob, `${ALICE}/private/secret.txt`, 'nope');
    expect(meta.status).toBe(400);
    expect(meta.json).toEqual({
      irods_response: { status_code: CODES.CAT_NO_ACCESS_PERMISSION, failed_operation: { operation: {}, operation_index: 0, error_message: 'User not allowed to modify metadata' } },
    });
    expect(statusCode(await post(base, 'data-objects', bob, { op: 'write', lpath: `${ALICE}/private/secret.txt`, bytes: 'x' }))).toBe(CODES.INVALID_HANDLE);
    expect(statusCode(await grant(bob, 'data-objects', `${ALICE}/private/secret.txt`, 'bob', 'own'))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
    expect(statusCode(await post(base, 'data-objects', bob, { op: 'remove', lpath: `${ALICE}/private/secret.txt`, 'catalog-only': 0 }))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);

    expect(statusCode(await grant(alice, 'data-objects', `${ALICE}/private/secret.txt`, 'bob', 'write'))).toBe(0);
    expect(statusCode(await addAvu(bob, `${ALICE}/private/secret.txt`, 'allowed'))).toBe(0);
    expect(statusCode(await grant(alice, 'data-objects', `${ALICE}/private/secret.txt`, 'bob', 'null'))).toBe(0);
    expect(statusCode(await stat(bob, `${ALICE}/private/secret.txt`))).toBe(CODES.NOT_A_DATA_OBJECT);
  });

  it('lets a rodsadmin see everything but not read or re-permission without an ACL unless admin=1', async () => {
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/admin-test.txt`, bytes: 'data' });
    expect(statusCode(await stat(rods, `${ALICE}/admin-test.txt`))).toBe(0);
    expect((await read(rods, `${ALICE}/admin-test.txt`)).status).toBe(400);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'write', lpath: `${ALICE}/admin-test.txt`, bytes: 'x' }))).toBe(CODES.INVALID_HANDLE);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'write', lpath: `${ALICE}/rods-was-here.txt`, bytes: 'x' }))).toBe(CODES.INVALID_HANDLE);
    expect(statusCode(await grant(rods, 'data-objects', `${ALICE}/admin-test.txt`, 'rods', 'own'))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
    expect(statusCode(await addAvu(rods, `${ALICE}/admin-test.txt`, 'a'))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
    expect(statusCode(await addAvu(rods, `${ALICE}/admin-test.txt`, 'a', 1))).toBe(0);
    expect(statusCode(await grant(rods, 'data-objects', `${ALICE}/admin-test.txt`, 'rods', 'read', 1))).toBe(0);
    expect((await read(rods, `${ALICE}/admin-test.txt`)).text).toBe('data');
    // admin=1 is for rodsadmins only.
    expect(statusCode(await grant(alice, 'data-objects', `${ALICE}/admin-test.txt`, 'bob', 'read', 1))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
    expect(statusCode(await addAvu(alice, `${ALICE}/admin-test.txt`, 'b', 1))).toBe(CODES.CAT_INSUFFICIENT_PRIVILEGE_LEVEL);
  });

  it('applies group ACLs to the members of the group', async () => {
    expect(statusCode(await post(base, 'users-groups', rods, { op: 'create_group', name: 'lab' }))).toBe(0);
    expect(statusCode(await post(base, 'users-groups', rods, { op: 'add_to_group', group: 'lab', user: 'bob', zone: 'tempZone' }))).toBe(0);
    await post(base, 'collections', alice, { op: 'create', lpath: `${ALICE}/lab` });
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/lab/results.csv`, bytes: 'a,b' });
    expect(statusCode(await stat(bob, `${ALICE}/lab/results.csv`))).toBe(CODES.NOT_A_DATA_OBJECT);
    await grant(alice, 'collections', `${ALICE}/lab`, 'lab', 'read');
    await grant(alice, 'data-objects', `${ALICE}/lab/results.csv`, 'lab', 'read');
    expect((await read(bob, `${ALICE}/lab/results.csv`)).text).toBe('a,b');
    // Group permissions are listed as the group, not expanded to members.
    expect((await stat(alice, `${ALICE}/lab/results.csv`)).json?.permissions).toContainEqual({ name: 'lab', zone: 'tempZone', type: 'rodsgroup', perm: 'read_object' });
  });

  it('copies the collection ACL onto new objects and sub-collections when inheritance is on', async () => {
    await post(base, 'collections', alice, { op: 'create', lpath: `${ALICE}/shared` });
    expect(statusCode(await post(base, 'collections', alice, { op: 'set_inheritance', lpath: `${ALICE}/shared`, enable: 1 }))).toBe(0);
    await grant(alice, 'collections', `${ALICE}/shared`, 'bob', 'read');
    await post(base, 'collections', alice, { op: 'create', lpath: `${ALICE}/shared/sub` });
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/shared/sub/file.txt`, bytes: 'inherited' });

    const sub = await get(base, 'collections', alice, { op: 'stat', lpath: `${ALICE}/shared/sub` });
    expect(sub.json?.inheritance_enabled).toBe(true);
    expect(sub.json?.permissions).toEqual(
      expect.arrayContaining([
        { name: 'alice', zone: 'tempZone', type: 'rodsuser', perm: 'own' },
        { name: 'bob', zone: 'tempZone', type: 'rodsuser', perm: 'read_object' },
      ]),
    );
    expect((await read(bob, `${ALICE}/shared/sub/file.txt`)).text).toBe('inherited');
    // Only alice owns the collection: bob cannot change inheritance.
    expect(statusCode(await post(base, 'collections', bob, { op: 'set_inheritance', lpath: `${ALICE}/shared`, enable: 0 }))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
  });

  it('applies a modify_permissions batch atomically and names the failing operation', async () => {
    await post(base, 'data-objects', alice, { op: 'write', lpath: `${ALICE}/batch.txt`, bytes: 'b' });
    const operations = JSON.stringify([
      { entity_name: 'bob', acl: 'read' },
      { entity_name: 'nobody', acl: 'read' },
    ]);
    const failed = await post(base, 'data-objects', alice, { op: 'modify_permissions', lpath: `${ALICE}/batch.txt`, operations });
    expect(failed.status).toBe(400);
    expect(failed.json).toEqual({
      irods_response: {
        status_code: CODES.SYS_INVALID_INPUT_PARAM,
        failed_operation: { operation: { entity_name: 'nobody', acl: 'read' }, operation_index: 1, error_message: 'Invalid entity' },
      },
    });
    const perms = (await stat(alice, `${ALICE}/batch.txt`)).json?.permissions as { name: string }[];
    expect(perms.map((p) => p.name)).toEqual(['alice']);

    const ok = await post(base, 'data-objects', alice, {
      op: 'modify_permissions',
      lpath: `${ALICE}/batch.txt`,
      operations: JSON.stringify([
        { entity_name: 'bob', acl: 'write' },
        { entity_name: 'lab', acl: 'read' },
      ]),
    });
    expect(ok.status).toBe(200);
    expect(statusCode(ok)).toBe(0);
    const after = (await stat(alice, `${ALICE}/batch.txt`)).json?.permissions;
    expect(after).toContainEqual({ name: 'bob', zone: 'tempZone', type: 'rodsuser', perm: 'modify_object' });
    expect(after).toContainEqual({ name: 'lab', zone: 'tempZone', type: 'rodsgroup', perm: 'read_object' });
  });

  it('applies a modify_metadata batch atomically; adding an attached AVU again is not an error', async () => {
    const lpath = `${ALICE}/batch.txt`;
    const add = (ops: unknown[]) => post(base, 'data-objects', alice, { op: 'modify_metadata', lpath, operations: JSON.stringify(ops) });
    expect(statusCode(await add([{ operation: 'add', attribute: 'k', value: 'v', units: 'u' }]))).toBe(0);
    expect(statusCode(await add([{ operation: 'add', attribute: 'k', value: 'v', units: 'u' }]))).toBe(0);
    const failed = await add([
      { operation: 'add', attribute: 'k2', value: 'v2' },
      { operation: 'add', attribute: 'k3', value: '' },
    ]);
    expect(failed.status).toBe(400);
    expect(failed.json).toMatchObject({
      irods_response: {
        status_code: CODES.SYS_INVALID_INPUT_PARAM,
        failed_operation: { operation_index: 1, operation: { operation: 'add', attribute: 'k3', value: '' } },
      },
    });
    const bad = await add([{ operation: 'rename', attribute: 'k', value: 'v' }]);
    expect(statusCode(bad)).toBe(CODES.INVALID_OPERATION);
    const missing = await add([{ operation: 'add', value: 'v' }]);
    expect(statusCode(missing)).toBe(CODES.JSON_VALIDATION_ERROR);
    const rows = await get(base, 'query', alice, {
      op: 'execute_genquery',
      query: `select META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS where COLL_NAME = '${ALICE}' and DATA_NAME = 'batch.txt'`,
    });
    expect(rows.json?.rows).toEqual([['k', 'v', 'u']]);
  });

  it("refuses a rodsuser creating inside someone else's home with the codes iRODS gives", async () => {
    const plain = await post(base, 'collections', bob, { op: 'create', lpath: '/tempZone/home/rods/not_allowed' });
    expect(statusCode(plain)).toBe(CODES.OBJ_PATH_DOES_NOT_EXIST);
    const deep = await post(base, 'collections', bob, { op: 'create', lpath: '/tempZone/home/rods/not_allowed/more', 'create-intermediates': 1 });
    expect(statusCode(deep)).toBe(CODES.SYS_INVALID_INPUT_PARAM);
    // A collection bob can read but not write: the catalog refuses the new entry.
    expect(statusCode(await post(base, 'collections', bob, { op: 'create', lpath: `${ALICE}/private/bobs` }))).toBe(CODES.CAT_NO_ACCESS_PERMISSION);
    expect(statusCode(await post(base, 'collections', bob, { op: 'create', lpath: `${ALICE}/bobs` }))).toBe(CODES.OBJ_PATH_DOES_NOT_EXIST);
    expect(statusCode(await post(base, 'collections', bob, { op: 'create', lpath: '/tempZone/home/bob/mine' }))).toBe(0);
  });
});
