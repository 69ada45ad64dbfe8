import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';

describe('iRODS HTTP API stand-in: collections', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;

  beforeAll(async () => {
    target = await openApiTarget();
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await target.close();
  });

  const create = (lpath: string, extra: Record<string, number> = {}) => post(base, 'collections', rods, { op: 'create', lpath, ...extra });
  const stat = (lpath: string) => get(base, 'collections', rods, { op: 'stat', lpath });

  it('creates collections, reports created=false for an existing one and needs the parent unless create-intermediates=1', async () => {
    expect((await create(`${HOME}/a`)).json).toEqual({ irods_response: { status_code: 0 }, created: true });
    expect((await create(`${HOME}/a`)).json).toEqual({ irods_response: { status_code: 0 }, created: false });
    expect(statusCode(await create(`${HOME}/x/y/z`))).toBe(CODES.OBJ_PATH_DOES_NOT_EXIST);
    expect((await create(`${HOME}/x/y/z`, { 'create-intermediates': 1 })).json).toEqual({ irods_response: { status_code: 0 }, created: true });
    expect(statusCode(await stat(`${HOME}/x/y`))).toBe(0);
  });

  it('stats a collection with the documented fields', async () => {
    const response = await stat(`${HOME}/a`);
    expect(response.json).toMatchObject({
      irods_response: { status_code: 0 },
      type: 'collection',
      inheritance_enabled: false,
      permissions: [{ name: 'rods', zone: 'tempZone', type: 'rodsadmin', perm: 'own' }],
      registered: true,
    });
    expect(typeof response.json?.modified_at).toBe('number');
    expect(statusCode(await stat(`${HOME}/nope`))).toBe(CODES.NOT_A_COLLECTION);
  });

  it('lists absolute paths, sub-collections first, and everything below with recurse=1', async () => {
    await create(`${HOME}/tree/b`, { 'create-intermediates': 1 });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/tree/f1`, bytes: '1' });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/tree/b/f2`, bytes: '2' });
    expect((await get(base, 'collections', rods, { op: 'list', lpath: `${HOME}/tree` })).json?.entries).toEqual([`${HOME}/tree/b`, `${HOME}/tree/f1`]);
    expect((await get(base, 'collections', rods, { op: 'list', lpath: `${HOME}/tree`, recurse: 1 })).json?.entries).toEqual([
      `${HOME}/tree/b`,
      `${HOME}/tree/b/f2`,
      `${HOME}/tree/f1`,
    ]);
    const notCollection = await get(base, 'collections', rods, { op: 'list', lpath: `${HOME}/tree/f1` });
    expect(notCollection.status).toBe(400);
    expect(notCollection.json).toEqual({ irods_response: { status_code: CODES.NOT_A_COLLECTION } });
  });

  it('refuses to remove a non-empty collection without recurse and removes it with recurse', async () => {
    expect(statusCode(await post(base, 'collections', rods, { op: 'remove', lpath: `${HOME}/tree` }))).toBe(CODES.SYS_COLLECTION_NOT_EMPTY);
    expect(statusCode(await post(base, 'collections', rods, { op: 'remove', lpath: `${HOME}/tree`, recurse: 1 }))).toBe(0);
    expect(statusCode(await stat(`${HOME}/tree`))).toBe(CODES.NOT_A_COLLECTION);
    expect(statusCode(await stat('/tempZone/trash/home/rods/tree/b'))).toBe(0);
    expect(statusCode(await post(base, 'collections', rods, { op: 'remove', lpath: `${HOME}/x`, recurse: 1, 'no-trash': 1 }))).toBe(0);
    expect(statusCode(await stat('/tempZone/trash/home/rods/x'))).toBe(CODES.NOT_A_COLLECTION);
  });

  it('renames a collection with its contents', async () => {
    await create(`${HOME}/before/inner`, { 'create-intermediates': 1 });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/before/inner/f`, bytes: 'f' });
    expect(statusCode(await post(base, 'collections', rods, { op: 'rename', 'old-lpath': `${HOME}/before`, 'new-lpath': `${HOME}/after` }))).toBe(0);
    expect((await get(base, 'data-objects', rods, { op: 'read', lpath: `${HOME}/after/inner/f` })).text).toBe('f');
    const intoItself = await post(base, 'collections', rods, { op: 'rename', 'old-lpath': `${HOME}/after`, 'new-lpath': `${HOME}/after/inner/x` });
    expect(intoItself.status).toBe(400);
    expect(statusCode(intoItself)).toBe(CODES.SYS_INVALID_INPUT_PARAM);
  });

  it('touches the mtime of a collection', async () => {
    expect(statusCode(await post(base, 'collections', rods, { op: 'touch', lpath: `${HOME}/a`, 'seconds-since-epoch': 1234567890 }))).toBe(0);
    expect((await stat(`${HOME}/a`)).json?.modified_at).toBe(1234567890);
  });
});
