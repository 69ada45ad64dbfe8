import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultUserMap, loadUserMap, parseUserMap, parseUserMapText, UserMapError } from '../../../src/users/index.js';

function issuesOf(fn: () => unknown): { file: string; code: string; where: string[]; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserMapError);
    const e = err as UserMapError;
    return { file: e.file, code: e.code, where: e.issues.map((i) => i.where), message: e.message };
  }
  throw new Error('expected a UserMapError');
}

describe('the mapping file', () => {
  it('gives every documented default for an empty mapping, frozen, and refuses an empty file', () => {
    expect(() => parseUserMapText(' \n', '/etc/agent/users.yaml')).toThrow('/etc/agent/users.yaml: is empty (write {} to use every default)');
    const map = parseUserMapText('{}', '/etc/agent/users.yaml');
    expect(map).toMatchObject({
      version: 1,
      sameName: { users: false, groups: false, lowercase: false },
      ignoreCase: false,
      access: { uploader: 'own', originalUser: 'own', originalGroup: 'read' },
      inheritance: true,
      revoke: false,
      noMatch: 'uploader-only',
      noGroupMatch: 'warn',
      prefixes: [],
      source: '/etc/agent/users.yaml',
    });
    expect(Object.keys(map.users)).toEqual([]);
    expect(map.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.isFrozen(map) && Object.isFrozen(map.users) && Object.isFrozen(map.access)).toBe(true);
    expect(defaultUserMap().source).toBeUndefined();
  });

  it('reads the same mapping from JSON and from YAML', () => {
    const json = parseUserMapText('{"users": {"jdoe": "jdoe", "kwan": "kwan#partnerZone", "root": null}, "groups": {"labX": "labX"}}', 'm.json');
    const yaml = parseUserMapText('users:\n  jdoe: jdoe\n  kwan: kwan#partnerZone\n  root: ~\ngroups:\n  labX: labX\n', 'm.yaml');
    expect({ ...json.users }).toEqual({ ...yaml.users });
    expect({ ...json.groups }).toEqual({ ...yaml.groups });
    expect(json.users.kwan).toEqual({ name: 'kwan', zone: 'partnerZone' });
    expect(json.users.jdoe).toEqual({ name: 'jdoe', zone: undefined });
    expect(json.users.root).toBeNull();
  });

  it('names the file and every offending place in a validation error', () => {
    const bad = {
      users: { jdoe: 42, 'bad one': 'a b' },
      groups: { labX: 'labX#otherZone' },
      access: { original_user: 'none' },
      no_match: 'grant-everyone',
      prefixes: [{ prefix: 'tempZone/home', grants: [{ user: 'a', group: 'b', acl: 'read' }, { group: 'g', acl: 'rwx' }] }],
      same_name: 'yes',
      sam_name: true,
    };
    const r = issuesOf(() => parseUserMap(bad, { source: '/etc/agent/users.json' }));
    expect(r.code).toBe('user_map_invalid');
    expect(r.file).toBe('/etc/agent/users.json');
    expect(r.message.startsWith('/etc/agent/users.json: ')).toBe(true);
    expect(r.where).toEqual(
      expect.arrayContaining([
        'users.jdoe',
        'users["bad one"]',
        'groups.labX',
        'access.original_user',
        'no_match',
        'prefixes[0].prefix',
        'prefixes[0].grants[1].acl',
        'same_name',
      ]),
    );
    expect(r.message).toMatch(/Unrecognized key: "sam_name"/);
    expect(r.message).toMatch(/groups.labX: must be a local iRODS group: groups carry no #zone/);
  });

  it('names the line and column of a YAML syntax error and refuses duplicate keys, JSON included', () => {
    const syntax = issuesOf(() => parseUserMapText('users:\n  jdoe: [jdoe\n', 'users.yaml'));
    expect(syntax.where[0]).toMatch(/^line \d+, column \d+$/);
    const dupYaml = issuesOf(() => parseUserMapText('users:\n  jdoe: a\n  jdoe: b\n', 'users.yaml'));
    expect(dupYaml.message).toMatch(/users.yaml: line 3, column 3: Map keys must be unique/);
    const dupJson = issuesOf(() => parseUserMapText('{"users": {"jdoe": "a", "jdoe": "b"}}', 'users.json'));
    expect(dupJson.message).toMatch(/Map keys must be unique/);
  });

  it('accepts same_name as a shorthand, iRODS permission words, and refuses names that differ only by case under ignore_case', () => {
    const map = parseUserMap({ same_name: true, access: { original_user: 'modify_object', original_group: 'none' } });
    expect(map.sameName).toEqual({ users: true, groups: true, lowercase: false });
    expect(map.access).toEqual({ uploader: 'own', originalUser: 'write', originalGroup: 'none' });
    const clash = issuesOf(() => parseUserMap({ ignore_case: true, users: { JDoe: 'jdoe', jdoe: 'john' } }));
    expect(clash.where).toEqual(['users.jdoe']);
    expect(() => parseUserMap({ ignore_case: true, users: { JDoe: 'jdoe', jdoe: 'jdoe' } })).not.toThrow();
  });

  it('keeps OMERO names that collide with Object.prototype as plain data and refuses __proto__', () => {
    const map = parseUserMapText('{"users": {"constructor": "c", "toString": null}}', 'm.json');
    const [ctor, str]: string[] = ['constructor', 'toString'];
    expect(map.users[ctor ?? '']).toEqual({ name: 'c', zone: undefined });
    expect(map.users[str ?? '']).toBeNull();
    expect(Object.getPrototypeOf(map.users)).toBeNull();
    const r = issuesOf(() => parseUserMapText('{"users": {"__proto__": "x"}}', 'm.json'));
    expect(r.where).toEqual(['users.__proto__']);
  });

  it('normalises prefixes and rejects . and .. segments', () => {
    const map = parseUserMap({ prefixes: [{ prefix: '/tempZone/home/labX/', grants: [{ user: 'pi#otherZone', acl: 'own' }] }] });
    expect(map.prefixes[0]).toEqual({ prefix: '/tempZone/home/labX', grants: [{ kind: 'user', name: 'pi', zone: 'otherZone', acl: 'own' }] });
    const r = issuesOf(() => parseUserMap({ prefixes: [{ prefix: '/tempZone/home/../labX', grants: [{ group: 'g', acl: 'read' }] }] }));
    expect(r.where).toEqual(['prefixes[0].prefix']);
  });

  it('loads a file, naming it when it is missing or not a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioa-users-'));
    const path = join(dir, 'users.yaml');
    writeFileSync(path, 'users:\n  jdoe: jdoe\n');
    expect((await loadUserMap(path)).users.jdoe).toEqual({ name: 'jdoe', zone: undefined });
    await expect(loadUserMap(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'user_map_unreadable',
      file: join(dir, 'missing.yaml'),
      message: `${join(dir, 'missing.yaml')}: no such file`,
    });
    mkdirSync(join(dir, 'adir'));
    await expect(loadUserMap(join(dir, 'adir'))).rejects.toMatchObject({ code: 'user_map_unreadable' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses the documented examples', async () => {
    const yaml = await loadUserMap('docs/examples/user-map.yaml');
    expect(yaml.users['j.smith@example.org']).toEqual({ name: 'jsmith', zone: undefined });
    expect(yaml.users.kwan).toEqual({ name: 'kwan', zone: 'partnerZone' });
    expect(yaml.groups['Imaging Facility']).toBe('imaging_staff');
    expect(yaml.prefixes).toHaveLength(2);
    const json = await loadUserMap('docs/examples/user-map.json');
    expect(json.noMatch).toBe('fail');
  });
});
