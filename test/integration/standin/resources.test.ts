import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, CONTRACT, openApiTarget, type ApiTarget } from './api-target.js';
import { CODES, get, post, statusCode, tokenFor } from './api-client.js';

const HOME = '/tempZone/home/rods';

describe('iRODS HTTP API stand-in: resources', () => {
  let target: ApiTarget;
  let base: string;
  let rods: string;
  let vaults: string;

  beforeAll(async () => {
    target = await openApiTarget({ users: [{ name: 'alice', password: 'alicepass' }] });
    base = target.baseUrl;
    rods = await tokenFor(base, 'rods', ADMIN_PASSWORD);
    // Vaults are directories of the server's host: a fresh local one for the stand-in.
    vaults = CONTRACT ? '/tmp' : await mkdtemp(join(tmpdir(), 'standin-vaults-'));
  });

  afterAll(async () => {
    await target.close();
    if (!CONTRACT) await rm(vaults, { recursive: true, force: true });
  });

  const resources = (params: Record<string, string | number>) => post(base, 'resources', rods, params);
  const stat = (name: string) => get(base, 'resources', rods, { op: 'stat', name });
  const query = (text: string) => get(base, 'query', rods, { op: 'execute_genquery', query: text });

  it('creates, stats, modifies and removes resources as upstream reports them', async () => {
    expect(statusCode(await resources({ op: 'create', name: 'coord_a', type: 'replication' }))).toBe(0);
    const info = (await stat('coord_a')).json;
    expect(info).toMatchObject({
      irods_response: { status_code: 0 },
      exists: true,
      info: { name: 'coord_a', type: 'replication', zone: 'tempZone', host: 'EMPTY_RESC_HOST', vault_path: 'EMPTY_RESC_PATH', parent_id: '', parent_context: '' },
    });
    expect(typeof (info?.info as Record<string, unknown>).id).toBe('string');
    expect(typeof (info?.info as Record<string, unknown>).created).toBe('number');

    expect(statusCode(await resources({ op: 'modify', name: 'coord_a', property: 'comments', value: 'for tests' }))).toBe(0);
    expect((await stat('coord_a')).json?.info).toMatchObject({ comments: 'for tests' });
    // status takes up or down only.
    expect((await resources({ op: 'modify', name: 'coord_a', property: 'status', value: 'sideways' })).status).toBe(400);

    expect(statusCode(await resources({ op: 'create', name: 'coord_a', type: 'replication' }))).toBe(CODES.CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME);
    expect(statusCode(await resources({ op: 'remove', name: 'coord_a' }))).toBe(0);
    expect((await stat('coord_a')).json).toEqual({ irods_response: { status_code: 0 }, exists: false, info: {} });
  });

  it('lets only a rodsadmin administer resources', async () => {
    const alice = await tokenFor(base, 'alice', 'alicepass');
    expect(statusCode(await post(base, 'resources', alice, { op: 'create', name: 'not_alices', type: 'unixfilesystem' }))).toBe(CODES.SYS_NO_API_PRIV);
    // Anyone may look.
    expect((await get(base, 'resources', alice, { op: 'stat', name: 'demoResc' })).json?.exists).toBe(true);
  });

  it('keeps a replica on every child of a replication resource, under each vault at the logical path', async () => {
    const ufs = ['repl_child0', 'repl_child1'];
    expect(statusCode(await resources({ op: 'create', name: 'repl_root', type: 'replication' }))).toBe(0);
    const rootId = ((await stat('repl_root')).json?.info as { id: string }).id;
    for (const name of ufs) {
      const vault = join(vaults, `${name}_vault`);
      expect(statusCode(await resources({ op: 'create', name, type: 'unixfilesystem', host: 'localhost', 'vault-path': vault }))).toBe(0);
      expect(statusCode(await resources({ op: 'add_child', 'parent-name': 'repl_root', 'child-name': name }))).toBe(0);
      expect((await stat(name)).json?.info).toMatchObject({ parent_id: rootId, vault_path: vault });
    }
    const lpath = `${HOME}/replicated.txt`;
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'write', lpath, resource: 'repl_root', bytes: 'twice' }))).toBe(0);

    const rows = await query(`select DATA_REPL_NUM, DATA_REPL_STATUS, RESC_NAME, DATA_RESC_HIER, DATA_PATH where COLL_NAME = '${HOME}' and DATA_NAME = 'replicated.txt'`);
    const byResource = new Map((rows.json?.rows as string[][]).map(([num = '', status = '', resc = '', hier = '', path = '']) => [resc, { num, status, hier, path }]));
    expect([...byResource.keys()].sort()).toEqual(ufs);
    for (const name of ufs) {
      expect(byResource.get(name)).toMatchObject({ status: '1', hier: `repl_root;${name}`, path: join(vaults, `${name}_vault`, 'home/rods/replicated.txt') });
    }
    expect([...byResource.values()].map((r) => r.num).sort()).toEqual(['0', '1']);

    // A resource holding replicas, or one in a hierarchy, cannot be removed.
    expect(statusCode(await resources({ op: 'remove', name: 'repl_child0' }))).toBe(CODES.CAT_RESOURCE_NOT_EMPTY);
    await post(base, 'data-objects', rods, { op: 'remove', lpath, 'catalog-only': 0, 'no-trash': 1 });
    expect(statusCode(await resources({ op: 'remove', name: 'repl_child0' }))).toBe(CODES.CHILD_EXISTS);
    for (const name of ufs) {
      expect(statusCode(await resources({ op: 'remove_child', 'parent-name': 'repl_root', 'child-name': name }))).toBe(0);
      expect(statusCode(await resources({ op: 'remove', name }))).toBe(0);
    }
    expect(statusCode(await resources({ op: 'remove', name: 'repl_root' }))).toBe(0);
  });

  it('writes through a passthru to its child, and refuses a child named directly', async () => {
    expect(statusCode(await resources({ op: 'create', name: 'pt_root', type: 'passthru' }))).toBe(0);
    expect(statusCode(await resources({ op: 'create', name: 'pt_leaf', type: 'unixfilesystem', host: 'localhost', 'vault-path': join(vaults, 'pt_leaf_vault') }))).toBe(0);
    expect(statusCode(await resources({ op: 'add_child', 'parent-name': 'pt_root', 'child-name': 'pt_leaf', context: 'read=1.0' }))).toBe(0);
    expect((await stat('pt_leaf')).json?.info).toMatchObject({ parent_context: 'read=1.0' });

    expect(statusCode(await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/through.txt`, resource: 'pt_root', bytes: 'x' }))).toBe(0);
    const rows = await query(`select RESC_NAME, DATA_RESC_HIER where COLL_NAME = '${HOME}' and DATA_NAME = 'through.txt'`);
    expect(rows.json?.rows).toEqual([['pt_leaf', 'pt_root;pt_leaf']]);

    // Naming the child: DIRECT_CHILD_ACCESS, seen as INVALID_HANDLE through a write of 0.7.0 built against iRODS 5.0.2.
    const direct = await post(base, 'data-objects', rods, { op: 'write', lpath: `${HOME}/direct.txt`, resource: 'pt_leaf', bytes: 'x' });
    expect(statusCode(direct)).toBe(CODES.INVALID_HANDLE);
    expect(statusCode(await post(base, 'data-objects', rods, { op: 'replicate', lpath: `${HOME}/through.txt`, 'dst-resource': 'pt_leaf' }))).toBe(CODES.DIRECT_CHILD_ACCESS);

    await post(base, 'data-objects', rods, { op: 'remove', lpath: `${HOME}/through.txt`, 'catalog-only': 0, 'no-trash': 1 });
    await resources({ op: 'remove_child', 'parent-name': 'pt_root', 'child-name': 'pt_leaf' });
    await resources({ op: 'remove', name: 'pt_leaf' });
    await resources({ op: 'remove', name: 'pt_root' });
  });

  it('attaches resource metadata atomically and finds it through META_RESC columns', async () => {
    const operations = JSON.stringify([{ operation: 'add', attribute: 'site', value: 'cold-storage' }]);
    expect(statusCode(await resources({ op: 'modify_metadata', name: 'demoResc', operations }))).toBe(0);
    expect((await query("select RESC_NAME where META_RESC_ATTR_NAME = 'site' and META_RESC_ATTR_VALUE = 'cold-storage'")).json?.rows).toEqual([['demoResc']]);
    await resources({ op: 'modify_metadata', name: 'demoResc', operations: JSON.stringify([{ operation: 'remove', attribute: 'site', value: 'cold-storage' }]) });
  });
});
