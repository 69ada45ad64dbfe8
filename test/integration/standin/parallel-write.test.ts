import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, headerWrite, post, postMultipart, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';

describe('iRODS HTTP API stand-in: parallel writes', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;

  beforeAll(async () => {
    target = await openApiTarget({ users: [{ name: 'bob', password: 'bobpass' }] });
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await target.close();
  });

  const init = (lpath: string, streams: number, token = rods) => post(base, 'data-objects', token, { op: 'parallel_write_init', lpath, 'stream-count': streams });
  const shutdown = (handle: string) => post(base, 'data-objects', rods, { op: 'parallel_write_shutdown', 'parallel-write-handle': handle });

  function handleOf(response: { json: Record<string, unknown> | undefined }): string {
    const handle = response.json?.parallel_write_handle;
    if (typeof handle !== 'string') throw new Error(`no parallel_write_handle in ${JSON.stringify(response.json)}`);
    return handle;
  }

  it('writes through indexed streams and completes the object only at shutdown', async () => {
    const whole = randomBytes(3 * 100_000);
    const opened = await init(`${HOME}/parallel.bin`, 3);
    expect(statusCode(opened)).toBe(0);
    const handle = handleOf(opened);

    await Promise.all(
      [0, 1, 2].map((i) => {
        const part = whole.subarray(i * 100_000, (i + 1) * 100_000);
        return i === 1
          ? postMultipart(base, 'data-objects', rods, { op: 'write', 'parallel-write-handle': handle, 'stream-index': i, offset: i * 100_000, bytes: part })
          : headerWrite(base, rods, { 'parallel-write-handle': handle, 'stream-index': i, offset: i * 100_000 }, part);
      }),
    ).then((responses) => responses.forEach((r) => expect(statusCode(r)).toBe(0)));

    // While the handle is open the replica is intermediate: no good replica to stat or read.
    const during = await get(base, 'data-objects', rods, { op: 'stat', lpath: `${HOME}/parallel.bin` });
    expect(statusCode(during)).toBe(CODES.SYS_NO_GOOD_REPLICA);
    const rows = await get(base, 'query', rods, { op: 'execute_genquery', query: `select DATA_REPL_STATUS where DATA_NAME = 'parallel.bin'` });
    expect(rows.json?.rows).toEqual([['2']]);

    expect((await shutdown(handle)).json).toEqual({ irods_response: { status_code: 0 } });
    const after = await get(base, 'data-objects', rods, { op: 'stat', lpath: `${HOME}/parallel.bin` });
    expect(after.json?.size).toBe(whole.length);
    const back = await get(base, 'data-objects', rods, { op: 'read', lpath: `${HOME}/parallel.bin` });
    expect(back.bytes.equals(whole)).toBe(true);
  });

  it('refuses more streams per handle than the per-handle limit with 400', async () => {
    expect((await init(`${HOME}/too-many.bin`, 4)).status).toBe(400);
    expect((await init(`${HOME}/none.bin`, 0)).status).toBe(400);
  });

  it('answers 503 once the 15 streams of the pool are taken, for any user, and frees them on shutdown', async () => {
    const handles: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const opened = await init(`${HOME}/pool-${i}.bin`, 3);
      expect(statusCode(opened)).toBe(0);
      handles.push(handleOf(opened));
    }
    const exhausted = await init(`${HOME}/pool-x.bin`, 1);
    expect(exhausted.status).toBe(503);
    const bob = await tokenFor(base, 'bob', 'bobpass');
    expect((await init('/tempZone/home/bob/pool.bin', 1, bob)).status).toBe(503);

    expect(statusCode(await shutdown(handles.pop() ?? ''))).toBe(0);
    const again = await init(`${HOME}/pool-x.bin`, 3);
    expect(statusCode(again)).toBe(0);
    handles.push(handleOf(again));
    for (const handle of handles) expect(statusCode(await shutdown(handle))).toBe(0);
  });

  it('answers 400 for an unknown handle or stream index and ignores an unknown handle at shutdown', async () => {
    const unknown = await headerWrite(base, rods, { 'parallel-write-handle': 'nope', 'stream-index': 0 }, Buffer.from('x'));
    expect(unknown.status).toBe(400);
    const opened = await init(`${HOME}/index.bin`, 2);
    const handle = handleOf(opened);
    expect((await headerWrite(base, rods, { 'parallel-write-handle': handle, 'stream-index': 2 }, Buffer.from('x'))).status).toBe(400);
    expect(statusCode(await shutdown(handle))).toBe(0);
    expect(statusCode(await shutdown(handle))).toBe(0);
  });

  it('reports INVALID_HANDLE when the streams cannot be opened', async () => {
    const bob = await tokenFor(base, 'bob', 'bobpass');
    const response = await init(`${HOME}/not-bobs.bin`, 2, bob);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ irods_response: { status_code: CODES.INVALID_HANDLE, status_message: `Could not open output stream to [${HOME}/not-bobs.bin].` } });
  });
});
