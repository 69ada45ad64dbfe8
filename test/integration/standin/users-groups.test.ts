import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, authenticate, get, post, statusCode, tokenFor } from './api-client.js';

describe('iRODS HTTP API stand-in: users and groups', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;

  beforeAll(async () => {
    target = await openApiTarget({ users: [{ name: 'alice', password: 'alicepass' }] });
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await target.close();
  });

  const admin = (params: Record<string, string>) => post(base, 'users-groups', rods, params);

  // The stand-in's boot state; a real zone holds what earlier contract runs and files left.
  it.skipIf(CONTRACT)('starts as a fresh zone: rods, the public group, home and trash collections', async () => {
    expect((await get(base, 'users-groups', rods, { op: 'users' })).json?.users).toEqual([
      { name: 'alice', zone: 'tempZone' },
      { name: 'rods', zone: 'tempZone' },
    ]);
    expect((await get(base, 'users-groups', rods, { op: 'groups' })).json?.groups).toEqual(['public']);
    for (const lpath of ['/tempZone/home/rods', '/tempZone/home/public', '/tempZone/trash/home/rods', '/tempZone/home/alice']) {
      expect(statusCode(await get(base, 'collections', rods, { op: 'stat', lpath }))).toBe(0);
    }
    const publicHome = await get(base, 'collections', rods, { op: 'stat', lpath: '/tempZone/home/public' });
    expect(publicHome.json?.permissions).toEqual([{ name: 'public', zone: 'tempZone', type: 'rodsgroup', perm: 'own' }]);
  });

  it('creates a user with its own home collection, membership of public, and stat information', async () => {
    expect(statusCode(await admin({ op: 'create_user', name: 'carol', zone: 'tempZone' }))).toBe(0);
    const stat = await get(base, 'users-groups', rods, { op: 'stat', name: 'carol', zone: 'tempZone' });
    expect(stat.json).toMatchObject({ irods_response: { status_code: 0 }, exists: true, local_unique_name: 'carol#tempZone', type: 'rodsuser' });
    expect(typeof stat.json?.id).toBe('string');
    const home = await get(base, 'collections', rods, { op: 'stat', lpath: '/tempZone/home/carol' });
    expect(home.json?.permissions).toEqual([{ name: 'carol', zone: 'tempZone', type: 'rodsuser', perm: 'own' }]);
    const member = await get(base, 'users-groups', rods, { op: 'is_member_of_group', group: 'public', user: 'carol', zone: 'tempZone' });
    expect(member.json?.is_member).toBe(true);
    // No password yet: cannot authenticate until one is set.
    expect((await authenticate(base, 'carol', 'x')).status).toBe(401);
    expect(statusCode(await admin({ op: 'set_password', name: 'carol', zone: 'tempZone', 'new-password': 'carolpass' }))).toBe(0);
    expect((await authenticate(base, 'carol', 'carolpass')).status).toBe(200);
    expect(statusCode(await admin({ op: 'create_user', name: 'carol', zone: 'tempZone' }))).toBe(CODES.CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME);
  });

  it('manages groups and membership', async () => {
    expect(statusCode(await admin({ op: 'create_group', name: 'crew' }))).toBe(0);
    const stat = await get(base, 'users-groups', rods, { op: 'stat', name: 'crew' });
    expect(stat.json).toMatchObject({ exists: true, type: 'rodsgroup' });
    expect(statusCode(await admin({ op: 'add_to_group', group: 'crew', user: 'alice', zone: 'tempZone' }))).toBe(0);
    expect((await get(base, 'users-groups', rods, { op: 'is_member_of_group', group: 'crew', user: 'alice', zone: 'tempZone' })).json?.is_member).toBe(true);
    expect(statusCode(await admin({ op: 'add_to_group', group: 'crew', user: 'nobody', zone: 'tempZone' }))).toBe(CODES.CAT_INVALID_USER);
    expect(statusCode(await admin({ op: 'remove_from_group', group: 'crew', user: 'alice', zone: 'tempZone' }))).toBe(0);
    expect((await get(base, 'users-groups', rods, { op: 'is_member_of_group', group: 'crew', user: 'alice', zone: 'tempZone' })).json?.is_member).toBe(false);
    expect(statusCode(await admin({ op: 'remove_group', name: 'crew' }))).toBe(0);
    expect((await get(base, 'users-groups', rods, { op: 'stat', name: 'crew' })).json).toEqual({ irods_response: { status_code: 0 }, exists: false });
  });

  it('lets only a rodsadmin create, remove or change users, but anyone list them', async () => {
    const alice = await tokenFor(base, 'alice', 'alicepass');
    expect(statusCode(await post(base, 'users-groups', alice, { op: 'create_user', name: 'eve', zone: 'tempZone' }))).toBe(CODES.SYS_NO_API_PRIV);
    expect(statusCode(await post(base, 'users-groups', alice, { op: 'create_group', name: 'evegroup' }))).toBe(CODES.SYS_NO_API_PRIV);
    expect(statusCode(await post(base, 'users-groups', alice, { op: 'set_password', name: 'alice', zone: 'tempZone', 'new-password': 'x' }))).toBe(CODES.SYS_NO_API_PRIV);
    expect(statusCode(await post(base, 'users-groups', alice, { op: 'remove_user', name: 'carol', zone: 'tempZone' }))).toBe(CODES.SYS_NO_API_PRIV);
    expect(statusCode(await get(base, 'users-groups', alice, { op: 'users' }))).toBe(0);
  });

  it('removes a user whose home is empty, and refuses while it holds data', async () => {
    const carol = await tokenFor(base, 'carol', 'carolpass');
    await post(base, 'data-objects', carol, { op: 'write', lpath: '/tempZone/home/carol/f.txt', bytes: 'x' });
    expect(statusCode(await admin({ op: 'remove_user', name: 'carol', zone: 'tempZone' }))).toBe(CODES.CAT_COLLECTION_NOT_EMPTY);
    await post(base, 'data-objects', carol, { op: 'remove', lpath: '/tempZone/home/carol/f.txt', 'catalog-only': 0, 'no-trash': 1 });
    expect(statusCode(await admin({ op: 'remove_user', name: 'carol', zone: 'tempZone' }))).toBe(0);
    expect((await get(base, 'users-groups', rods, { op: 'stat', name: 'carol', zone: 'tempZone' })).json?.exists).toBe(false);
    expect(statusCode(await get(base, 'collections', rods, { op: 'stat', lpath: '/tempZone/home/carol' }))).toBe(CODES.NOT_A_COLLECTION);
    // Its tokens stop working with it.
    expect((await get(base, 'collections', carol, { op: 'stat', lpath: '/tempZone/home' })).status).toBe(401);
  });

  it('modifies user metadata atomically as a rodsadmin', async () => {
    const response = await admin({ op: 'modify_metadata', name: 'alice', operations: JSON.stringify([{ operation: 'add', attribute: 'omero.user', value: 'alice@omero' }]) });
    expect(statusCode(response)).toBe(0);
    const rows = await get(base, 'query', rods, { op: 'execute_genquery', query: "select USER_NAME where META_USER_ATTR_NAME = 'omero.user' and META_USER_ATTR_VALUE = 'alice@omero'" });
    expect(rows.json?.rows).toEqual([['alice']]);
  });
});
