import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, headerWrite, post, postMultipart, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';
const MiB = 1024 * 1024;

function sha2(bytes: Buffer): string {
  return `sha2:${createHash('sha256').update(bytes).digest('base64')}`;
}

describe('iRODS HTTP API stand-in: data objects', () => {
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

  const read = (lpath: string, extra: Record<string, number> = {}) => get(base, 'data-objects', rods, { op: 'read', lpath, ...extra });
  const stat = (lpath: string) => get(base, 'data-objects', rods, { op: 'stat', lpath });

  it('round-trips bytes through write, read, stat and calculate_checksum', async () => {
    const bytes = randomBytes(4096);
    const written = await postMultipart(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/round.bin`, bytes });
    expect(written.status).toBe(200);
    expect(written.json).toEqual({ irods_response: { status_code: 0 } });

    const back = await read(`${HOME}/round.bin`);
    expect(back.status).toBe(200);
    expect(back.bytes.equals(bytes)).toBe(true);

    const info = await stat(`${HOME}/round.bin`);
    expect(info.json).toMatchObject({ irods_response: { status_code: 0 }, type: 'data_object', size: 4096, checksum: '' });
    expect(info.json?.permissions).toEqual([{ name: 'rods', zone: 'tempZone', type: 'rodsadmin', perm: 'own' }]);
    expect(typeof info.json?.modified_at).toBe('number');

    const checksum = await post(base, 'data-objects', rods, { op: 'calculate_checksum', lpath: `${HOME}/round.bin` });
    expect(checksum.json).toEqual({ irods_response: { status_code: 0 }, checksum: sha2(bytes) });
    expect((await stat(`${HOME}/round.bin`)).json?.checksum).toBe(sha2(bytes));
  });

  it('clears a recorded checksum when the content changes', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/sum.txt`, bytes: 'one' });
    await post(base, 'data-objects', rods, { op: 'calculate_checksum', lpath: `${HOME}/sum.txt` });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/sum.txt`, bytes: 'two' });
    expect((await stat(`${HOME}/sum.txt`)).json?.checksum).toBe('');
    const verify = await get(base, 'data-objects', rods, { op: 'verify_checksum', lpath: `${HOME}/sum.txt` });
    expect(statusCode(verify)).toBe(CODES.CHECK_VERIFICATION_RESULTS);
    expect(verify.json?.results).toEqual([
      { severity: 'warning', error_code: CODES.CAT_NO_CHECKSUM_FOR_REPLICA, message: 'WARNING: No checksum available for replica [0].' },
    ]);
  });

  it('truncates by default: a second write without truncate=0 replaces the content', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/trunc.txt`, bytes: 'abcdefgh' });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/trunc.txt`, bytes: 'XY', offset: 2 });
    expect((await read(`${HOME}/trunc.txt`)).bytes).toEqual(Buffer.from('\0\0XY'));
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/trunc.txt`, bytes: 'abcdefgh' });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/trunc.txt`, bytes: 'XY', offset: 2, truncate: 0 });
    expect((await read(`${HOME}/trunc.txt`)).text).toBe('abXYefgh');
  });

  it('refuses truncate=0 on an object that does not exist yet (O_RDWR without O_CREAT)', async () => {
    const response = await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/not-yet.txt`, bytes: 'x', truncate: 0 });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ irods_response: { status_code: CODES.INVALID_HANDLE, status_message: 'Output stream to data object is in a bad state.' } });
    expect(statusCode(await stat(`${HOME}/not-yet.txt`))).toBe(CODES.NOT_A_DATA_OBJECT);
  });

  it('appends with append=1 whatever the offset', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/append.txt`, bytes: 'head' });
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/append.txt`, bytes: '-tail', append: 1, offset: 0 });
    expect((await read(`${HOME}/append.txt`)).text).toBe('head-tail');
  });

  it('writes with the header-style request: parameters in irods-api-request-* headers, raw body', async () => {
    const bytes = Buffer.from('a+b=c&d%20 raw body survives');
    const response = await headerWrite(base, rods, { lpath: `${HOME}/headers.txt` }, bytes);
    expect(response.json).toEqual({ irods_response: { status_code: 0 } });
    expect((await read(`${HOME}/headers.txt`)).bytes.equals(bytes)).toBe(true);
    const more = await headerWrite(base, rods, { lpath: `${HOME}/headers.txt`, offset: bytes.length, truncate: 0 }, Buffer.from('!'));
    expect(statusCode(more)).toBe(0);
    expect((await read(`${HOME}/headers.txt`)).text).toBe(`${bytes.toString()}!`);
  });

  it('stores an object larger than the body limit written in chunks with offset and truncate=0', async () => {
    const whole = randomBytes(9 * MiB + 123);
    const chunk = 3 * MiB;
    for (let offset = 0; offset < whole.length; offset += chunk) {
      const part = whole.subarray(offset, offset + chunk);
      const params: Record<string, string | number> = offset === 0 ? { lpath: `${HOME}/large.bin` } : { lpath: `${HOME}/large.bin`, offset, truncate: 0 };
      const response = offset % (2 * chunk) === 0 ? await headerWrite(base, rods, params, part) : await postMultipart(base, 'data-objects', rods, { op: 'write', ...params, bytes: part });
      expect(statusCode(response)).toBe(0);
    }
    expect((await stat(`${HOME}/large.bin`)).json?.size).toBe(whole.length);
    const all = await read(`${HOME}/large.bin`);
    expect(all.headers.get('content-type')).toBe('application/octet-stream');
    expect(all.bytes.equals(whole)).toBe(true);
    const checksum = await post(base, 'data-objects', rods, { op: 'calculate_checksum', lpath: `${HOME}/large.bin` });
    expect(checksum.json?.checksum).toBe(sha2(whole));
  });

  it('reads ranges: offset and count, count clamped to the size, the rest without count', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/range.txt`, bytes: '0123456789' });
    expect((await read(`${HOME}/range.txt`, { offset: 2, count: 3 })).text).toBe('234');
    expect((await read(`${HOME}/range.txt`, { offset: 7, count: 100 })).text).toBe('789');
    expect((await read(`${HOME}/range.txt`, { offset: 4 })).text).toBe('456789');
    expect((await read(`${HOME}/range.txt`, { offset: 10 })).text).toBe('');
    expect((await read(`${HOME}/range.txt`, { offset: -1 })).status).toBe(400);
  });

  it('answers 200 with NOT_A_DATA_OBJECT for a missing object and 404 when reading a collection or nothing', async () => {
    const missing = await stat(`${HOME}/nothing.txt`);
    expect(missing.status).toBe(200);
    expect(missing.json).toEqual({ irods_response: { status_code: CODES.NOT_A_DATA_OBJECT } });
    const collection = await read(HOME);
    expect(collection.status).toBe(404);
    expect(collection.text).toBe('');
    expect((await read(`${HOME}/nothing.txt`)).status).toBe(404);
  });

  it('reports CAT_NO_ROWS_FOUND when checksumming or removing what does not exist', async () => {
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'calculate_checksum', lpath: '/tempZone/does/not/exist.txt' }))).toBe(CODES.CAT_NO_ROWS_FOUND);
    expect(statusCode(await get(base, 'data-objects', rods, { op: 'verify_checksum', lpath: '/tempZone/does/not/exist.txt' }))).toBe(CODES.CAT_NO_ROWS_FOUND);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/gone.txt`, 'catalog-only': 0 }))).toBe(CODES.CAT_NO_ROWS_FOUND);
  });

  it('moves removed objects to the trash unless no-trash is set', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/trash-me.txt`, bytes: 'bye' });
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/trash-me.txt`, 'catalog-only': 0 }))).toBe(0);
    expect(statusCode(await stat(`${HOME}/trash-me.txt`))).toBe(CODES.NOT_A_DATA_OBJECT);
    expect((await read('/tempZone/trash/home/rods/trash-me.txt')).text).toBe('bye');

    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/delete-me.txt`, bytes: 'bye' });
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/delete-me.txt`, 'catalog-only': 0, 'no-trash': 1 }))).toBe(0);
    expect(statusCode(await stat('/tempZone/trash/home/rods/delete-me.txt'))).toBe(CODES.NOT_A_DATA_OBJECT);
    // catalog-only and no-trash together are a client error.
    expect((await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/round.bin`, 'catalog-only': 1, 'no-trash': 1 })).status).toBe(400);
  });

  it('renames and copies, refusing to overwrite without overwrite=1', async () => {
    await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/orig.txt`, bytes: 'content' });
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'rename', 'old-lpath': `${HOME}/orig.txt`, 'new-lpath': `${HOME}/moved.txt` }))).toBe(0);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'copy', 'src-lpath': `${HOME}/moved.txt`, 'dst-lpath': `${HOME}/copy.txt` }))).toBe(0);
    expect((await read(`${HOME}/copy.txt`)).text).toBe('content');
    const again = await post(base, 'data-objects', rods, { op: 'copy', 'src-lpath': `${HOME}/moved.txt`, 'dst-lpath': `${HOME}/copy.txt` });
    expect(statusCode(again)).toBe(CODES.OVERWRITE_WITHOUT_FORCE_FLAG);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'copy', 'src-lpath': `${HOME}/moved.txt`, 'dst-lpath': `${HOME}/copy.txt`, overwrite: 1 }))).toBe(0);
    const ontoCollection = await post(base, 'data-objects', rods, { op: 'copy', 'src-lpath': `${HOME}/moved.txt`, 'dst-lpath': HOME });
    expect(statusCode(ontoCollection)).toBe(CODES.CAT_NAME_EXISTS_AS_COLLECTION);
    const notAnObject = await post(base, 'data-objects', rods, { op: 'rename', 'old-lpath': `${HOME}/orig.txt`, 'new-lpath': `${HOME}/x.txt` });
    expect(notAnObject.status).toBe(400);
    expect(statusCode(notAnObject)).toBe(CODES.NOT_A_DATA_OBJECT);
  });

  it('touches: creates an empty object, or only updates the mtime', async () => {
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'touch', lpath: `${HOME}/touched.txt` }))).toBe(0);
    expect((await stat(`${HOME}/touched.txt`)).json?.size).toBe(0);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'touch', lpath: `${HOME}/touched.txt`, 'seconds-since-epoch': 1000000000 }))).toBe(0);
    expect((await stat(`${HOME}/touched.txt`)).json?.modified_at).toBe(1000000000);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'touch', lpath: `${HOME}/never.txt`, 'no-create': 1 }))).toBe(0);
    expect(statusCode(await stat(`${HOME}/never.txt`))).toBe(CODES.NOT_A_DATA_OBJECT);
  });

  // The file must be on the server's host: stand-in only.
  it.skipIf(CONTRACT)('registers a local file as a rodsadmin, records it, and only unregisters it on removal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'standin-register-'));
    try {
      const file = join(dir, 'external.dat');
      await writeFile(file, 'registered bytes');
      const response = await post(base, 'data-objects', rods, { op: 'register', lpath: `${HOME}/external.dat`, ppath: file, resource: 'demoResc', checksum: 1 });
      expect(statusCode(response)).toBe(0);
      expect((await read(`${HOME}/external.dat`)).text).toBe('registered bytes');
      expect((await stat(`${HOME}/external.dat`)).json?.checksum).toBe(sha2(Buffer.from('registered bytes')));
      const rows = await get(base, 'query', rods, { op: 'execute_genquery', query: `select DATA_PATH where COLL_NAME = '${HOME}' and DATA_NAME = 'external.dat'` });
      expect(rows.json?.rows).toEqual([[file]]);
      // resource is required since 0.2.0.
      expect((await post(base, 'data-objects', rods, { op: 'register', lpath: `${HOME}/e2.dat`, ppath: file })).status).toBe(400);
      await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/external.dat`, 'catalog-only': 0, 'no-trash': 1 });
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(file, 'utf8')).toBe('registered bytes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
