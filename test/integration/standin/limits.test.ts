import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';
/** MAX_NAME_LEN (rodsDef.h): MAX_PATH_ALLOWED (1024) + 64, the size of every path buffer. */
const MAX_NAME_LEN = 1088;

/** A path of exactly `bytes` bytes under HOME, in folders of 200 characters. */
function pathOf(bytes: number, leaf = ''): string {
  let path = `${HOME}/limits`;
  while (path.length + 201 + leaf.length < bytes) path += `/${'d'.repeat(200)}`;
  const filler = bytes - path.length - 1 - leaf.length;
  return `${path}/${'f'.repeat(filler)}${leaf}`;
}

/**
 * iRODS's length limits as the HTTP API meets them (test/standins/irods-http-api/limits.ts): the
 * filesystem library refuses paths of MAX_NAME_LEN bytes or more (USER_PATH_EXCEEDS_MAX), and a
 * name longer than the vault's file system allows fails the physical create.
 */
describe('iRODS HTTP API stand-in: path and name limits', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;

  beforeAll(async () => {
    target = await openApiTarget();
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await post(base, 'collections', rods, { op: 'remove', lpath: `${HOME}/limits`, recurse: 1, 'no-trash': 1 });
    await target.close();
  });

  it('refuses to create a collection whose path has MAX_NAME_LEN bytes or more, and accepts one byte less', async () => {
    const tooLong = pathOf(1348);
    const refused = await post(base, 'collections', rods, { op: 'create', lpath: tooLong, 'create-intermediates': 1 });
    expect(refused.status).toBe(200);
    expect(statusCode(refused)).toBe(CODES.USER_PATH_EXCEEDS_MAX);
    expect(statusCode(await post(base, 'collections', rods, { op: 'create', lpath: pathOf(MAX_NAME_LEN), 'create-intermediates': 1 }))).toBe(CODES.USER_PATH_EXCEEDS_MAX);
    const longest = pathOf(MAX_NAME_LEN - 1);
    expect(statusCode(await post(base, 'collections', rods, { op: 'create', lpath: longest, 'create-intermediates': 1 }))).toBe(0);
    expect(statusCode(await get(base, 'collections', rods, { op: 'stat', lpath: longest }))).toBe(0);
    // Every filesystem-library operation checks the same way.
    expect(statusCode(await get(base, 'collections', rods, { op: 'stat', lpath: tooLong }))).toBe(CODES.USER_PATH_EXCEEDS_MAX);
  });

  it('fails the write of a name longer than the vault file system allows, leaving a stale replica', async () => {
    await post(base, 'collections', rods, { op: 'create', lpath: `${HOME}/limits`, 'create-intermediates': 1 });
    const lpath = `${HOME}/limits/${'n'.repeat(256)}.tif`;
    const written = await post(base, 'data-objects', rods, { op: 'write', lpath, bytes: 'x' });
    expect(written.status).toBe(200);
    // UNIX_FILE_CREATE_ERR - ENAMETOOLONG, reported as INVALID_HANDLE by 0.7.0 built against iRODS 5.0.2.
    expect(statusCode(written)).toBe(CODES.INVALID_HANDLE);
    const rows = await get(base, 'query', rods, { op: 'execute_genquery', query: `select DATA_REPL_STATUS, DATA_SIZE where COLL_NAME = '${HOME}/limits' and DATA_NAME like 'nnn%'` });
    expect(rows.json?.rows).toEqual([['0', '0']]);
  });

  // A server built against iRODS 5.1+ reports the create's own error: stand-in setting only.
  it.skipIf(CONTRACT)('reports UNIX_FILE_CREATE_ERR - ENAMETOOLONG when the API exposes write error codes', async () => {
    const exposing = await openApiTarget({ standin: { exposeWriteErrorCodes: true } });
    try {
      const admin = await tokenFor(exposing.baseUrl, 'rods', ADMIN_PASSWORD);
      const lpath = `${HOME}/${'n'.repeat(256)}.tif`;
      expect(statusCode(await post(exposing.baseUrl, 'data-objects', admin, { op: 'write', lpath, bytes: 'x' }))).toBe(CODES.UNIX_FILE_CREATE_ERR_ENAMETOOLONG);
    } finally {
      await exposing.close();
    }
  });
});
