import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { startIrodsStandin } from '../../standins/irods-http-api/index.js';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, authenticate, bearer, get, post, statusCode, tokenFor } from './api-client.js';

describe('iRODS HTTP API stand-in: protocol', () => {
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

  it.skipIf(CONTRACT)('starts in-process on an ephemeral port under the exact version path', () => {
    const standin = target.standin;
    expect(standin?.port).toBeGreaterThan(0);
    expect(base).toBe(`http://127.0.0.1:${standin?.port ?? 0}/irods-http-api/0.7.0`);
    expect(standin?.zone).toBe('tempZone');
  });

  it('answers /info without authentication and adds the server version with a valid token', async () => {
    const anonymous = await get(base, 'info', undefined, {});
    expect(anonymous.status).toBe(200);
    expect(anonymous.json).toMatchObject({ api_version: '0.7.0', irods_zone: 'tempZone', max_number_of_rows_per_catalog_query: 15, max_size_of_request_body_in_bytes: 8 * 1024 * 1024 });
    expect(anonymous.json).not.toHaveProperty('irods_server_version');
    const authed = await get(base, 'info', rods, {});
    expect(authed.json).toHaveProperty('irods_server_version');
  });

  it('answers 404 for any other API version and for unknown endpoints', async () => {
    const other = await fetch(base.replace(/\/0\.7\.0$/, '/0.6.0/info'));
    expect(other.status).toBe(404);
    const unknown = await fetch(`${base}/nothing-here`);
    expect(unknown.status).toBe(404);
  });

  it('issues a plain-text token for Basic credentials and refuses wrong ones with 401', async () => {
    const ok = await authenticate(base, 'alice', 'alicepass');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain');
    expect(ok.text).toMatch(/^[0-9a-f-]{36}$/);
    expect((await authenticate(base, 'alice', 'nope')).status).toBe(401);
    expect((await authenticate(base, 'nobody', 'x')).status).toBe(401);
    const noHeader = await fetch(`${base}/authenticate`, { method: 'POST' });
    expect(noHeader.status).toBe(400);
    const wrongMethod = await fetch(`${base}/authenticate`);
    expect(wrongMethod.status).toBe(405);
  });

  it('answers 405 for a method an endpoint does not take and 400 for a missing or unknown op', async () => {
    expect((await fetch(`${base}/collections`, { method: 'PUT', headers: bearer(rods) })).status).toBe(405);
    expect((await get(base, 'collections', rods, { op: 'no_such_op' })).status).toBe(400);
    expect((await get(base, 'collections', rods, { lpath: '/tempZone' })).status).toBe(400);
    // POST-only operations are unknown to GET (and the reverse).
    expect((await get(base, 'collections', rods, { op: 'create', lpath: '/tempZone/home/rods/x' })).status).toBe(400);
  });

  it('rejects POST bodies that are neither form-urlencoded nor multipart with 400', async () => {
    const response = await fetch(`${base}/collections`, {
      method: 'POST',
      headers: { ...bearer(rods), 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'create', lpath: '/tempZone/home/rods/json' }),
    });
    expect(response.status).toBe(400);
  });

  it('answers 400 without an Authorization header and 401 for an unknown token', async () => {
    expect((await get(base, 'collections', undefined, { op: 'stat', lpath: '/tempZone/home/rods' })).status).toBe(400);
    expect((await get(base, 'collections', 'not-a-token', { op: 'stat', lpath: '/tempZone/home/rods' })).status).toBe(401);
  });

  it('answers 400 for missing parameters', async () => {
    expect((await get(base, 'collections', rods, { op: 'stat' })).status).toBe(400);
    expect((await post(base, 'data-objects', rods, { op: 'remove', lpath: '/tempZone/home/rods/x' })).status).toBe(400);
  });

  it('turns a "+" in a form-urlencoded value into a space, as the real parser does', async () => {
    const created = await post(base, 'collections', rods, { op: 'create', lpath: '/tempZone/home/rods/a+b' });
    expect(statusCode(created)).toBe(0);
    const stat = await get(base, 'collections', rods, { op: 'stat', lpath: '/tempZone/home/rods/a b' });
    expect(statusCode(stat)).toBe(0);
  });

  it('drops the connection for a request body above the limit instead of answering', async () => {
    const body = new URLSearchParams({ op: 'write', lpath: '/tempZone/home/rods/big', bytes: 'x'.repeat(8 * 1024 * 1024 + 1) }).toString();
    await expect(
      fetch(`${base}/data-objects`, { method: 'POST', headers: { ...bearer(rods), 'content-type': 'application/x-www-form-urlencoded' }, body }),
    ).rejects.toThrow();
    // The server is still healthy afterwards.
    expect((await get(base, 'info', undefined, {})).status).toBe(200);
  });

  // A real server's token lifetime is its own configuration: stand-in only.
  it.skipIf(CONTRACT)('refuses an expired token with 401 once its lifetime has passed, whatever its use', async () => {
    const short = await startIrodsStandin({ tokenTtlSeconds: 1 });
    try {
      const token = await tokenFor(short.baseUrl, 'rods', 'rods');
      expect(statusCode(await get(short.baseUrl, 'collections', token, { op: 'stat', lpath: '/tempZone/home/rods' }))).toBe(0);
      await waitFor('token expiry', async () => (await get(short.baseUrl, 'collections', token, { op: 'stat', lpath: '/tempZone/home/rods' })).status === 401, {
        timeoutMs: 5000,
        intervalMs: 100,
      });
      const fresh = await tokenFor(short.baseUrl, 'rods', 'rods');
      expect(statusCode(await get(short.baseUrl, 'collections', fresh, { op: 'stat', lpath: '/tempZone/home/rods' }))).toBe(0);
    } finally {
      await short.close();
    }
  });

  it.skipIf(CONTRACT)('removes its temporary vault on close', async () => {
    const temporary = await startIrodsStandin();
    expect(existsSync(temporary.vaultDir)).toBe(true);
    await temporary.close();
    expect(existsSync(temporary.vaultDir)).toBe(false);
  });

  it('answers iRODS errors with HTTP 200 and a negative status code', async () => {
    const response = await get(base, 'data-objects', rods, { op: 'stat', lpath: '/tempZone/home/rods/missing.txt' });
    expect(response.status).toBe(200);
    expect(statusCode(response)).toBe(CODES.NOT_A_DATA_OBJECT);
  });
});
