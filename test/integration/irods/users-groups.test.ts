import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsError, isPermissionDenied } from '../../../src/irods/errors.js';
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

describe('iRODS client: users and groups', () => {
  let irods: IrodsForTest;
  let zone: string;

  beforeAll(async () => {
    irods = await startIrodsForTest();
    zone = irods.zone;
  });
  afterAll(async () => {
    await irods.close();
  });

  it('creates a user that can authenticate with the password set for it', async () => {
    const alice = await irods.makeUser('alice', 'alice-secret-1');
    const info = await irods.client.users.stat('alice', { zone });
    expect(info).toMatchObject({ exists: true, type: 'rodsuser', zone });
    expect(info.id).toMatch(/^\d+$/);
    expect((await alice.client.collections.stat(irods.home('alice'))).type).toBe('collection');
    expect(await irods.client.users.users()).toContainEqual({ name: 'alice', zone });
  });

  it('reports an unknown name as not existing', async () => {
    expect(await irods.client.users.stat('nobody-at-all', { zone })).toEqual({ exists: false });
  });

  it('changes a password', async () => {
    await irods.makeUser('bob', 'bob-old-pass');
    await irods.client.users.setPassword('bob', 'bob-new-pass', { zone });
    const old = await failure(irods.clientFor('bob', 'bob-old-pass').collections.stat(irods.home('bob')));
    expect(old.status).toBe(401);
    expect((await irods.clientFor('bob', 'bob-new-pass').collections.stat(irods.home('bob'))).type).toBe('collection');
  });

  it('manages groups and memberships', async () => {
    await irods.makeUser('carol');
    await irods.client.users.createGroup('lab');
    expect(await irods.client.users.groups()).toContain('lab');
    expect(await irods.client.users.stat('lab')).toMatchObject({ exists: true, type: 'rodsgroup' });
    expect(await irods.client.users.isMemberOfGroup('lab', 'carol', { zone })).toBe(false);
    await irods.client.users.addToGroup('carol', 'lab', { zone });
    expect(await irods.client.users.isMemberOfGroup('lab', 'carol', { zone })).toBe(true);
    await irods.client.users.removeFromGroup('carol', 'lab', { zone });
    expect(await irods.client.users.isMemberOfGroup('lab', 'carol', { zone })).toBe(false);
    await irods.client.users.removeGroup('lab');
    expect(await irods.client.users.groups()).not.toContain('lab');
  });

  it('removes a user', async () => {
    await irods.makeUser('dave');
    await irods.client.users.removeUser('dave', { zone });
    expect((await irods.client.users.stat('dave', { zone })).exists).toBe(false);
  });

  it('refuses user administration to a rodsuser', async () => {
    const erin = await irods.makeUser('erin');
    const err = await failure(erin.client.users.createUser('mallory', { zone }));
    expect(err.code).toBeLessThan(0);
    expect(isPermissionDenied(err)).toBe(true);
  });

  it('refuses to create a user twice', async () => {
    await irods.makeUser('frank');
    const err = await failure(irods.client.users.createUser('frank', { zone }));
    expect(err.code).toBeLessThan(0);
  });
});
