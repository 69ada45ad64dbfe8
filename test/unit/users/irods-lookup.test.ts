import { describe, expect, it } from 'vitest';
import { checkUserMapAgainstIrods, lookupSameNames, parseUserMap, type IrodsEntityLookup } from '../../../src/users/index.js';

/** A zone's user table, answered the way users-groups stat answers (a plain function, no service). */
function zoneTable(entries: Record<string, string>): { lookup: IrodsEntityLookup; asked: string[] } {
  const asked: string[] = [];
  const lookup: IrodsEntityLookup = (name, zone) => {
    const key = zone === undefined ? name : `${name}#${zone}`;
    asked.push(key);
    if (key === 'flaky') return Promise.reject(new Error('connection reset'));
    const type = entries[key];
    return Promise.resolve(type === undefined ? { exists: false } : { exists: true, type });
  };
  return { lookup, asked };
}

describe('checkUserMapAgainstIrods', () => {
  it('reports unknown names, users that are groups and groups that are users, with their places in the file', async () => {
    const map = parseUserMap({
      users: { jdoe: 'jdoe', maria: 'mgarcia', team: 'labX', kwan: 'kwan#partnerZone', gone: 'departed', root: null, jd2: 'jdoe' },
      groups: { labX: 'labX', solo: 'jdoe', ghost: 'nogroup' },
      prefixes: [{ prefix: '/tempZone/home/labX', grants: [{ group: 'labX', acl: 'read' }, { user: 'flaky', acl: 'read' }] }],
    });
    const { lookup, asked } = zoneTable({ jdoe: 'rodsuser', mgarcia: 'rodsuser', labX: 'rodsgroup', 'kwan#partnerZone': 'rodsuser' });
    const result = await checkUserMapAgainstIrods(map, lookup);
    expect(result.ok).toBe(false);
    expect(result.unknownUsers).toEqual(['departed']);
    expect(result.unknownGroups).toEqual(['nogroup']);
    expect(result.usersThatAreGroups).toEqual(['labX']);
    expect(result.groupsThatAreUsers).toEqual(['jdoe']);
    expect(result.problems.find((p) => p.kind === 'lookup_failed')).toMatchObject({ entity: 'flaky', where: ['prefixes[0].grants[1]'] });
    expect(result.problems.find((p) => p.kind === 'user_is_group')?.where).toEqual(['users.team']);
    // Each distinct name once, the remote user with its zone.
    expect(asked.filter((a) => a === 'jdoe')).toHaveLength(2); // once as a user, once as a group
    expect(asked).toContain('kwan#partnerZone');
    expect(result.checked).toBe(asked.length);
  });

  it('is ok when every name exists with the right type', async () => {
    const map = parseUserMap({ users: { jdoe: 'jdoe' }, groups: { labX: 'labX' } });
    const { lookup } = zoneTable({ jdoe: 'rodsuser', labX: 'rodsgroup' });
    expect(await checkUserMapAgainstIrods(map, lookup)).toMatchObject({ ok: true, checked: 2, problems: [] });
  });
});

describe('lookupSameNames', () => {
  it('looks up only unlisted owners and confirms names of the right kind', async () => {
    const map = parseUserMap({ same_name: true, users: { asmith: 'alice' } });
    const { lookup, asked } = zoneTable({ jdoe: 'rodsuser', labX: 'rodsgroup', labY: 'rodsuser' });
    const known = await lookupSameNames(
      map,
      [{ originalUser: 'jdoe', originalGroup: 'labX' }, { originalUser: 'asmith', originalGroup: 'labY' }, { originalUser: 'root', originalGroup: 'system' }],
      lookup,
    );
    expect(known).toEqual({ users: ['jdoe'], groups: ['labX'] });
    expect(asked.sort()).toEqual(['jdoe', 'labX', 'labY']);
  });

  it('asks nothing when same_name is off', async () => {
    const { lookup, asked } = zoneTable({});
    expect(await lookupSameNames(parseUserMap({}), [{ originalUser: 'jdoe', originalGroup: 'labX' }], lookup)).toEqual({ users: [], groups: [] });
    expect(asked).toEqual([]);
  });
});
