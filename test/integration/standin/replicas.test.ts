import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';
const OBJECT = `${HOME}/replicated.bin`;

/**
 * Several replicas of one data object: two unixfilesystem roots (demoResc and a second one),
 * the checks upstream's servers make on replicate / trim / truncate, and what a write to one
 * replica does to the others (rsDataObjRepl, rsDataObjTrim, rs_replica_truncate, voting).
 */
describe('iRODS HTTP API stand-in: replicas', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;
  let vaults: string;

  beforeAll(async () => {
    target = await openApiTarget();
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
    vaults = CONTRACT ? '/tmp' : await mkdtemp(join(tmpdir(), 'standin-vaults-'));
    await post(base, 'resources', rods, { op: 'create', name: 'second', type: 'unixfilesystem', host: 'localhost', 'vault-path': join(vaults, 'second_vault') });
  });

  afterAll(async () => {
    await post(base, 'data-objects', rods, { op: 'remove', lpath: OBJECT, 'catalog-only': 0, 'no-trash': 1 });
    await post(base, 'resources', rods, { op: 'remove', name: 'second' });
    await target.close();
    if (!CONTRACT) await rm(vaults, { recursive: true, force: true });
  });

  const dataObjects = (params: Record<string, string | number>) => post(base, 'data-objects', rods, params);
  const replicas = async () => {
    const rows = await get(base, 'query', rods, {
      op: 'execute_genquery',
      query: `select DATA_REPL_NUM, DATA_REPL_STATUS, DATA_SIZE, RESC_NAME where COLL_NAME = '${HOME}' and DATA_NAME = 'replicated.bin'`,
    });
    return (rows.json?.rows as string[][]).map(([num, status, size, resource]) => ({ num, status, size, resource }));
  };

  /** replica 0 on demoResc, replica 1 on "second", both good, 5 bytes. */
  beforeEach(async () => {
    await dataObjects({ op: 'remove', lpath: OBJECT, 'catalog-only': 0, 'no-trash': 1 });
    expect(statusCode(await dataObjects({ op: 'write', lpath: OBJECT, bytes: 'hello' }))).toBe(0);
    expect(statusCode(await dataObjects({ op: 'replicate', lpath: OBJECT, 'dst-resource': 'second' }))).toBe(0);
  });

  it('numbers replicas per object and reports them in GenQuery', async () => {
    expect(await replicas()).toEqual([
      { num: '0', status: '1', size: '5', resource: 'demoResc' },
      { num: '1', status: '1', size: '5', resource: 'second' },
    ]);
  });

  it('makes the other replicas stale after a write to one of them, and reads each as it is', async () => {
    expect(statusCode(await dataObjects({ op: 'write', lpath: OBJECT, 'replica-number': 1, bytes: 'changed!' }))).toBe(0);
    expect(await replicas()).toEqual([
      { num: '0', status: '0', size: '5', resource: 'demoResc' },
      { num: '1', status: '1', size: '8', resource: 'second' },
    ]);
    // stat and a plain read follow the good replica; a numbered read gets that replica.
    expect((await get(base, 'data-objects', rods, { op: 'stat', lpath: OBJECT })).json?.size).toBe(8);
    expect((await get(base, 'data-objects', rods, { op: 'read', lpath: OBJECT })).text).toBe('changed!');
    expect((await get(base, 'data-objects', rods, { op: 'read', lpath: OBJECT, 'replica-number': 0, count: 5 })).text).toBe('hello');
  });

  it('refuses to trim the last good replica, and invalid replica numbers', async () => {
    await dataObjects({ op: 'write', lpath: OBJECT, 'replica-number': 1, bytes: 'changed!' });
    expect(statusCode(await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 1 }))).toBe(CODES.USER_INCOMPATIBLE_PARAMS);
    expect(statusCode(await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 'one' }))).toBe(CODES.USER_INVALID_REPLICA_INPUT);
    expect(statusCode(await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 7 }))).toBe(CODES.SYS_REPLICA_DOES_NOT_EXIST);
    // The stale one may go; the last replica is then kept whatever is asked.
    expect(statusCode(await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 0 }))).toBe(0);
    expect(statusCode(await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 1 }))).toBe(0);
    expect(await replicas()).toEqual([{ num: '1', status: '1', size: '8', resource: 'second' }]);
  });

  it('checks the source replica of a replication before its destination', async () => {
    const replicate = (params: Record<string, string | number>) => dataObjects({ op: 'replicate', lpath: OBJECT, 'dst-resource': 'no_such_resource', ...params });
    expect(statusCode(await replicate({ 'src-replica-number': 'invalid' }))).toBe(CODES.USER_INVALID_REPLICA_INPUT);
    expect(statusCode(await replicate({ 'src-replica-number': -1 }))).toBe(CODES.SYS_REPLICA_INACCESSIBLE);
    expect(statusCode(await replicate({ 'src-resource': 'no_such_source' }))).toBe(CODES.SYS_RESC_DOES_NOT_EXIST);
    expect(statusCode(await replicate({}))).toBe(CODES.SYS_RESC_DOES_NOT_EXIST);
  });

  it('truncates the replica asked for, making it the good one, and refuses incompatible targets', async () => {
    const truncated = await dataObjects({ op: 'truncate', lpath: OBJECT, 'replica-number': 1, size: 2 });
    expect(truncated.json).toEqual({ irods_response: { status_code: 0, additional_info: { message: '', resource_hierarchy: 'second', replica_number: 1 } } });
    expect(await replicas()).toEqual([
      { num: '0', status: '0', size: '5', resource: 'demoResc' },
      { num: '1', status: '1', size: '2', resource: 'second' },
    ]);
    expect(statusCode(await dataObjects({ op: 'truncate', lpath: OBJECT, 'replica-number': 0, resource: 'demoResc', size: 1 }))).toBe(CODES.SYS_INVALID_INPUT_PARAM);
    expect(statusCode(await dataObjects({ op: 'truncate', lpath: OBJECT, 'replica-number': 9, size: 1 }))).toBe(CODES.SYS_REPLICA_DOES_NOT_EXIST);
    expect(statusCode(await dataObjects({ op: 'truncate', lpath: `${HOME}/never-written.bin`, size: 1 }))).toBe(CODES.OBJ_PATH_DOES_NOT_EXIST);
  });

  it('keeps an object readable whose only good replica is on a non-default resource', async () => {
    await dataObjects({ op: 'write', lpath: OBJECT, 'replica-number': 1, bytes: 'elsewhere' });
    await dataObjects({ op: 'trim', lpath: OBJECT, 'replica-number': 0 });
    expect((await get(base, 'data-objects', rods, { op: 'read', lpath: OBJECT })).text).toBe('elsewhere');
    expect(statusCode(await dataObjects({ op: 'calculate_checksum', lpath: OBJECT }))).toBe(0);
  });

  it('write-locks the other replicas while one is being written (DATA_REPL_STATUS 2 and 4)', async () => {
    const init = await dataObjects({ op: 'parallel_write_init', lpath: OBJECT, 'replica-number': 0, 'stream-count': 1, truncate: 0 });
    const handle = String(init.json?.parallel_write_handle);
    try {
      expect((await replicas()).map((r) => r.status)).toEqual(['2', '4']);
    } finally {
      await dataObjects({ op: 'parallel_write_shutdown', 'parallel-write-handle': handle });
    }
    expect((await replicas()).map((r) => r.status)).toEqual(['1', '0']);
  });
});
