import { describe, expect, it } from 'vitest';
import type { AclEntry, PermissionOperation } from '../../../src/irods/types.js';
import { diffAcls, operationsToApply, parseUserMap, planPermissions } from '../../../src/users/index.js';

const ZONE = 'tempZone';

const entry = (name: string, perm: string, type = 'rodsuser', zone = ZONE): AclEntry => ({ name, zone, type, perm });

/**
 * What iRODS does with the operations (as the stand-in will): set the entity to exactly that
 * level, or remove it on null. stat then reports the level in its 4.3 words.
 */
function apply(current: readonly AclEntry[], ops: readonly PermissionOperation[]): AclEntry[] {
  const words = { read: 'read_object', write: 'modify_object', own: 'own' } as const;
  let out = [...current];
  for (const op of ops) {
    const [name = '', zone = ZONE] = op.entityName.split('#');
    const type = out.find((e) => e.name === name && e.zone === zone)?.type ?? 'rodsuser';
    out = out.filter((e) => !(e.name === name && e.zone === zone));
    if (op.acl !== 'null') out.push({ name, zone, type, perm: words[op.acl] });
  }
  return out;
}

const wanted: PermissionOperation[] = [
  { entityName: 'jdoe', acl: 'own' },
  { entityName: 'labX', acl: 'read' },
  { entityName: 'kwan#partnerZone', acl: 'write' },
];

describe('diffAcls', () => {
  it('grants what is missing on a freshly written object', () => {
    const current = [entry('rods', 'own', 'rodsadmin')];
    expect(diffAcls(current, wanted, { localZone: ZONE })).toEqual(wanted);
  });

  it('never lowers an existing higher permission, in any of its spellings', () => {
    const current = [
      entry('jdoe', 'own'),
      entry('labX', 'modify_object', 'rodsgroup'),
      entry('kwan', 'delete object', 'rodsuser', 'partnerZone'),
    ];
    expect(diffAcls(current, wanted, { localZone: ZONE })).toEqual([]);
  });

  it('raises lower permissions, and leaves alone a permission word it does not know', () => {
    const current = [entry('jdoe', 'read_object'), entry('labX', 'read_metadata', 'rodsgroup'), entry('kwan', 'some_future_level', 'rodsuser', 'partnerZone')];
    expect(diffAcls(current, wanted, { localZone: ZONE })).toEqual([
      { entityName: 'jdoe', acl: 'own' },
      { entityName: 'labX', acl: 'read' },
    ]);
  });

  it('tells a local user from a remote user of the same name', () => {
    const current = [entry('kwan', 'own', 'rodsuser', ZONE)];
    expect(diffAcls(current, [{ entityName: 'kwan#partnerZone', acl: 'read' }], { localZone: ZONE })).toEqual([
      { entityName: 'kwan#partnerZone', acl: 'read' },
    ]);
    expect(diffAcls([entry('jdoe', 'read_object', 'rodsuser', '')], [{ entityName: 'jdoe#tempZone', acl: 'read' }], { localZone: ZONE })).toEqual([]);
  });

  it('is empty on a second run (idempotent), with and without revoke', () => {
    const start = [entry('rods', 'own', 'rodsadmin'), entry('public', 'read_object', 'rodsgroup'), entry('jdoe', 'read_object')];
    for (const revoke of [false, true]) {
      const options = { localZone: ZONE, revoke, keep: ['rods'] };
      const first = diffAcls(start, wanted, options);
      expect(first.length).toBeGreaterThan(0);
      expect(diffAcls(apply(start, first), wanted, options)).toEqual([]);
    }
  });

  it('ignores wanted nulls unless revoke is on', () => {
    const current = [entry('asmith', 'read_object')];
    expect(diffAcls(current, [{ entityName: 'asmith', acl: 'null' }], { localZone: ZONE })).toEqual([]);
    expect(diffAcls(current, [{ entityName: 'asmith', acl: 'null' }], { localZone: ZONE, revoke: true })).toEqual([{ entityName: 'asmith', acl: 'null' }]);
  });

  it('with revoke, sets exact levels and removes everyone else except the kept account', () => {
    const current = [
      entry('rods', 'own', 'rodsadmin'),
      entry('jdoe', 'own'),
      entry('labX', 'own', 'rodsgroup'),
      entry('public', 'read_object', 'rodsgroup'),
      entry('visitor', 'read_object', 'rodsuser', 'otherZone'),
    ];
    expect(diffAcls(current, wanted, { localZone: ZONE, revoke: true, keep: ['rods'] })).toEqual([
      { entityName: 'labX', acl: 'read' },
      { entityName: 'kwan#partnerZone', acl: 'write' },
      { entityName: 'public', acl: 'null' },
      { entityName: 'visitor#otherZone', acl: 'null' },
    ]);
  });
});

describe('operationsToApply', () => {
  const tree = {
    localZone: ZONE,
    serviceAccount: 'rods',
    archive: '/tempZone/home/labX/p.zip',
    root: '/tempZone/home/labX/p',
    dataObjects: ['/tempZone/home/labX/p/a.tiff'],
    uploader: 'jdoe',
    provenance: [{ originalUser: 'jdoe', originalGroup: 'labX' }],
  };

  it('uses the revoke option of the mapping and never touches the agent account', () => {
    const grantOnly = planPermissions({ ...tree, map: parseUserMap({ groups: { labX: 'labX' } }) });
    const revoking = planPermissions({ ...tree, map: parseUserMap({ groups: { labX: 'labX' }, revoke: true }) });
    const current = [entry('rods', 'own', 'rodsadmin'), entry('labX', 'own', 'rodsgroup'), entry('public', 'read_object', 'rodsgroup')];
    const batch = (p: typeof grantOnly) => {
      const b = p.batches[1];
      if (!b) throw new Error('missing batch');
      return b;
    };
    expect(operationsToApply(grantOnly, batch(grantOnly), current).modifyPermissions).toEqual([{ entityName: 'jdoe', acl: 'own' }]);
    expect(operationsToApply(revoking, batch(revoking), current).modifyPermissions).toEqual([
      { entityName: 'jdoe', acl: 'own' },
      { entityName: 'labX', acl: 'read' },
      { entityName: 'public', acl: 'null' },
    ]);
  });
});
