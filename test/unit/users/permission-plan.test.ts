import { describe, expect, it } from 'vitest';
import {
  NoGroupMappingError,
  NoUserMappingError,
  operationsToApply,
  parseUserMap,
  PlanInputError,
  planPermissions,
  type PermissionPlan,
  type PlanPermissionsInput,
} from '../../../src/users/index.js';

const ROOT = '/tempZone/home/labX/project1';
const ARCHIVE = '/tempZone/home/labX/project1.zip';

function input(mapDoc: unknown, over: Partial<PlanPermissionsInput> = {}): PlanPermissionsInput {
  return {
    map: parseUserMap(mapDoc, { source: '/etc/agent/users.yaml' }),
    localZone: 'tempZone',
    serviceAccount: 'rods',
    archive: ARCHIVE,
    root: ROOT,
    collections: [`${ROOT}/root_0`, `${ROOT}/root_0/2023-12`],
    dataObjects: [`${ROOT}/transfer.xml`, `${ROOT}/root_0/2023-12/image.tiff`],
    uploader: 'omero_svc',
    provenance: [{ originalUser: 'jdoe', originalGroup: 'labX' }],
    ...over,
  };
}

/** The wanted ACL of an lpath as `entity=acl` strings. */
function aclOf(plan: PermissionPlan, lpath: string): string[] {
  const batch = plan.batches.find((b) => b.lpath === lpath);
  if (!batch) throw new Error(`no batch for ${lpath}`);
  return batch.operations.map((o) => `${o.entityName}=${o.acl}`);
}

describe('planPermissions', () => {
  it('grants an unconfirmed uploader nothing, warns, and records why', () => {
    const reason = 'the event named omero_svc as the uploader, but in iRODS omero_svc neither owns nor may write it';
    const plan = planPermissions(input({ users: { jdoe: 'jdoe' } }, { uploaderUnverified: reason }));
    for (const b of plan.batches) expect(aclOf(plan, b.lpath)).toEqual(['jdoe=own']);
    expect(plan.warnings.map((w) => [w.code, w.message])).toContainEqual(['uploader_unverified', `${reason}; the uploader was given no access`]);
    expect(plan.decisions[0]).toMatchObject({ subject: 'uploader', entityName: undefined, acl: undefined, rule: 'uploader_check' });
  });

  it('grants own to the uploader and the mapped owner, read to the mapped group, on every lpath of the tree', () => {
    const plan = planPermissions(input({ users: { jdoe: 'jdoe' }, groups: { labX: 'labX' } }));
    for (const b of plan.batches) expect(aclOf(plan, b.lpath)).toEqual(['jdoe=own', 'labX=read', 'omero_svc=own']);
    expect(plan.batches.map((b) => b.lpath)).toEqual([
      ROOT,
      `${ROOT}/root_0`,
      `${ROOT}/root_0/2023-12`,
      `${ROOT}/transfer.xml`,
      `${ROOT}/root_0/2023-12/image.tiff`,
    ]);
    expect(plan.batches.map((b) => b.kind)).toEqual(['collection', 'collection', 'collection', 'data_object', 'data_object']);
    expect(plan.inheritance).toEqual([ROOT, `${ROOT}/root_0`, `${ROOT}/root_0/2023-12`]);
    expect(plan.warnings).toEqual([]);
    expect(plan.revoke).toBe(false);
    expect(plan.map).toEqual({ source: '/etc/agent/users.yaml', digest: expect.stringMatching(/^sha256:/) });
    expect(plan.decisions.map((d) => [d.subject, d.omeroName, d.entityName, d.acl, d.rule])).toEqual([
      ['uploader', undefined, 'omero_svc', 'own', 'access.uploader'],
      ['original_user', 'jdoe', 'jdoe', 'own', 'users.jdoe'],
      ['original_group', 'labX', 'labX', 'read', 'groups.labX'],
    ]);
  });

  it('never plans the archive itself nor anything outside the root, and never a revoke by default', () => {
    const plan = planPermissions(input({ users: { jdoe: 'jdoe' } }));
    expect(plan.batches.some((b) => b.lpath === ARCHIVE)).toBe(false);
    expect(plan.batches.flatMap((b) => b.operations).some((o) => o.acl === 'null')).toBe(false);
    expect(() => planPermissions(input({}, { dataObjects: [ARCHIVE] }))).toThrow(PlanInputError);
    expect(() => planPermissions(input({}, { collections: ['/tempZone/home/labX'] }))).toThrow(/outside the expanded root/);
    expect(() => planPermissions(input({}, { dataObjects: [`${ROOT}/../secret`] }))).toThrow(PlanInputError);
    expect(() => planPermissions(input({}, { archive: `${ROOT}/inner.zip` }))).toThrow(/archive: must not lie inside/);
    expect(() => planPermissions(input({}, { uploader: 'bad name' }))).toThrow(/^uploader:/);
  });

  it('honours configured access levels, and takes the higher level when one user is both uploader and owner', () => {
    const plan = planPermissions(
      input(
        { users: { jdoe: 'jdoe' }, groups: { labX: 'labX' }, access: { uploader: 'read', original_user: 'write', original_group: 'none' } },
        { uploader: 'jdoe' },
      ),
    );
    expect(aclOf(plan, ROOT)).toEqual(['jdoe=write']);
    expect(plan.decisions.find((d) => d.subject === 'original_group')).toMatchObject({ acl: undefined, rule: 'access.original_group' });
  });

  describe('when the original owner maps to nobody', () => {
    it('uploader-only: gives access to the uploader alone and warns, naming the OMERO user', () => {
      const plan = planPermissions(input({ groups: { labX: 'labX' } }));
      expect(aclOf(plan, ROOT)).toEqual(['labX=read', 'omero_svc=own']);
      expect(plan.warnings).toEqual([
        {
          code: 'no_user_mapping',
          omeroName: 'jdoe',
          message: expect.stringMatching(/^OMERO user 'jdoe' has no iRODS user in the mapping .*only the uploader was given access$/),
        },
      ]);
      expect(plan.decisions.find((d) => d.subject === 'original_user')).toMatchObject({ entityName: undefined, rule: 'no_match' });
    });

    it('fail: throws no_user_mapping naming the OMERO user and the file, granting nothing', () => {
      let error: unknown;
      try {
        planPermissions(input({ no_match: 'fail' }, { provenance: [{ originalUser: 'jdoe' }, { originalUser: 'asmith' }] }));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(NoUserMappingError);
      expect(error).toMatchObject({ code: 'no_user_mapping', omeroUser: 'jdoe', omeroUsers: ['jdoe', 'asmith'], retryable: false });
      expect((error as Error).message).toMatch(/OMERO user 'jdoe', 'asmith'.*\/etc\/agent\/users\.yaml/);
    });

    it('fail does not fire when the owner is mapped', () => {
      const plan = planPermissions(input({ users: { jdoe: 'jdoe' }, no_match: 'fail', no_group_match: 'ignore' }));
      expect(aclOf(plan, ROOT)).toEqual(['jdoe=own', 'omero_svc=own']);
      expect(plan.warnings).toEqual([]);
    });

    it('warns, without failing, when the archive names no owner at all', () => {
      const plan = planPermissions(input({ no_match: 'fail' }, { provenance: [] }));
      expect(aclOf(plan, ROOT)).toEqual(['omero_svc=own']);
      expect(plan.warnings.map((w) => w.code)).toEqual(['no_provenance']);
    });
  });

  it('matches OMERO names ignoring case only when ignore_case is on, and never mistakes a built-in property for a mapping', () => {
    const exact = planPermissions(input({ users: { JDoe: 'jdoe' }, no_group_match: 'ignore' }));
    expect(exact.warnings.map((w) => w.code)).toEqual(['no_user_mapping']);
    const folded = planPermissions(input({ users: { JDoe: 'jdoe' }, ignore_case: true, no_group_match: 'ignore' }));
    expect(aclOf(folded, ROOT)).toEqual(['jdoe=own', 'omero_svc=own']);
    expect(folded.decisions[1]?.rule).toBe('users.JDoe');
    const odd = planPermissions(input({ no_group_match: 'ignore' }, { provenance: [{ originalUser: 'constructor' }] }));
    expect(odd.warnings.map((w) => [w.code, w.omeroName])).toEqual([['no_user_mapping', 'constructor']]);
  });

  describe('group mapping', () => {
    it('warns by default when the OMERO group maps to nobody, and can ignore or fail instead', () => {
      const warned = planPermissions(input({ users: { jdoe: 'jdoe' } }));
      expect(warned.warnings).toEqual([expect.objectContaining({ code: 'no_group_mapping', omeroName: 'labX' })]);
      const ignored = planPermissions(input({ users: { jdoe: 'jdoe' }, no_group_match: 'ignore' }));
      expect(ignored.warnings).toEqual([]);
      expect(() => planPermissions(input({ users: { jdoe: 'jdoe' }, no_group_match: 'fail' }))).toThrow(NoGroupMappingError);
      expect(() => planPermissions(input({ users: { jdoe: 'jdoe' }, no_group_match: 'fail' }))).toThrow(/OMERO group 'labX'/);
    });

    it('grants every distinct owner and group of a multi-owner archive', () => {
      const plan = planPermissions(
        input(
          { users: { jdoe: 'jdoe', asmith: 'asmith' }, groups: { labX: 'labX', labY: 'labY' } },
          { provenance: [{ originalUser: 'jdoe', originalGroup: 'labX' }, { originalUser: 'asmith', originalGroup: 'labY' }, { originalUser: 'jdoe', originalGroup: 'labX' }] },
        ),
      );
      expect(aclOf(plan, ROOT)).toEqual(['asmith=own', 'jdoe=own', 'labX=read', 'labY=read', 'omero_svc=own']);
    });
  });

  it('never grants to users and groups mapped to null, and does not count them as missing', () => {
    const plan = planPermissions(
      input({ users: { root: null }, groups: { system: null }, no_match: 'fail', no_group_match: 'fail' }, { provenance: [{ originalUser: 'root', originalGroup: 'system' }] }),
    );
    expect(aclOf(plan, ROOT)).toEqual(['omero_svc=own']);
    expect(plan.warnings).toEqual([]);
    expect(plan.decisions.filter((d) => d.subject !== 'uploader').map((d) => [d.omeroName, d.entityName, d.rule])).toEqual([
      ['root', undefined, 'users.root'],
      ['system', undefined, 'groups.system'],
    ]);
  });

  describe('same_name', () => {
    it('maps an unlisted OMERO user to the identical iRODS user only when iRODS confirmed it', () => {
      const confirmed = planPermissions(input({ same_name: { users: true } }, { knownIrodsNames: { users: ['jdoe'], groups: [] } }));
      expect(aclOf(confirmed, ROOT)).toContain('jdoe=own');
      expect(confirmed.decisions.find((d) => d.subject === 'original_user')).toMatchObject({ rule: 'same_name', entityName: 'jdoe' });

      const absent = planPermissions(input({ same_name: { users: true } }, { knownIrodsNames: { users: [], groups: [] } }));
      expect(aclOf(absent, ROOT)).not.toContain('jdoe=own');
      expect(absent.warnings[0]?.message).toMatch(/iRODS has no user 'jdoe'/);

      const unchecked = planPermissions(input({ same_name: { users: true } }));
      expect(aclOf(unchecked, ROOT)).not.toContain('jdoe=own');
    });

    it('is off by default, yields to explicit entries (null included) and to case folding', () => {
      const off = planPermissions(input({}, { knownIrodsNames: { users: ['jdoe'], groups: ['labX'] } }));
      expect(aclOf(off, ROOT)).toEqual(['omero_svc=own']);
      const explicit = planPermissions(
        input({ same_name: true, ignore_case: true, users: { JDOE: null } }, { knownIrodsNames: { users: ['jdoe'], groups: ['labX'] } }),
      );
      expect(aclOf(explicit, ROOT)).toEqual(['labX=read', 'omero_svc=own']);
    });

    it('never maps OMERO root or the iRODS public group, and can lower-case LDAP logins', () => {
      const plan = planPermissions(
        input(
          { same_name: { users: true, groups: true, lowercase: true } },
          { provenance: [{ originalUser: 'root', originalGroup: 'Public' }, { originalUser: 'JDoe' }], knownIrodsNames: { users: ['root', 'jdoe'], groups: ['public'] } },
        ),
      );
      expect(aclOf(plan, ROOT)).toEqual(['jdoe=own', 'omero_svc=own']);
    });
  });

  it('keeps the zone of remote users and sends them through set_permission', () => {
    const plan = planPermissions(
      input({ users: { jdoe: 'kwan#partnerZone' }, groups: { labX: 'labX' } }, { uploader: 'ana#tempZone' }),
    );
    expect(aclOf(plan, ROOT)).toEqual(['ana=own', 'kwan#partnerZone=own', 'labX=read']);
    const root = plan.batches[0];
    if (!root) throw new Error('no root batch');
    const todo = operationsToApply(plan, root, [{ name: 'rods', zone: 'tempZone', type: 'rodsadmin', perm: 'own' }]);
    expect(todo.modifyPermissions).toEqual([
      { entityName: 'ana', acl: 'own' },
      { entityName: 'labX', acl: 'read' },
    ]);
    expect(todo.setPermission).toEqual([{ entityName: 'kwan#partnerZone', acl: 'own' }]);
  });

  it('grants a federated uploader (name#zone, as the intake records them) under their own zone, never a local namesake', () => {
    const plan = planPermissions(input({ users: { jdoe: 'jdoe' } }, { uploader: 'omero_svc#partnerZone' }));
    expect(aclOf(plan, ROOT)).toEqual(['jdoe=own', 'omero_svc#partnerZone=own']);
    expect(plan.decisions[0]).toMatchObject({ subject: 'uploader', entityName: 'omero_svc#partnerZone', acl: 'own' });
  });

  it('adds prefix-rule grants to the whole tree or to the subtree under the prefix', () => {
    const plan = planPermissions(
      input({
        users: { jdoe: 'jdoe' },
        groups: { labX: 'labX' },
        prefixes: [
          { prefix: '/tempZone/home/labX', grants: [{ group: 'labX', acl: 'write' }, { user: 'pi_labx', acl: 'own' }] },
          { prefix: `${ROOT}/root_0/2023-12`, grants: [{ group: 'imaging_staff', acl: 'read' }] },
          { prefix: '/tempZone/home/labY', grants: [{ group: 'labY', acl: 'read' }] },
        ],
      }),
    );
    expect(aclOf(plan, ROOT)).toEqual(['jdoe=own', 'labX=write', 'omero_svc=own', 'pi_labx=own']);
    expect(aclOf(plan, `${ROOT}/root_0/2023-12/image.tiff`)).toEqual(['imaging_staff=read', 'jdoe=own', 'labX=write', 'omero_svc=own', 'pi_labx=own']);
    const rules = plan.decisions.filter((d) => d.subject === 'prefix_rule').map((d) => [d.rule, d.appliesTo]);
    expect(rules).toEqual([
      ['prefixes[0].grants[0]', ROOT],
      ['prefixes[0].grants[1]', ROOT],
      ['prefixes[1].grants[0]', `${ROOT}/root_0/2023-12`],
    ]);
  });

  it('never grants to the agent account, and plans no inheritance when it is off', () => {
    const plan = planPermissions(input({ users: { jdoe: 'rods' }, inheritance: false }, { uploader: 'rods' }));
    expect(aclOf(plan, ROOT)).toEqual([]);
    expect(plan.inheritance).toEqual([]);
    expect(plan.decisions.some((d) => d.subject === 'service_account')).toBe(true);
  });

  it('is plain data: frozen and serialisable for the job record', () => {
    const plan = planPermissions(input({ users: { jdoe: 'jdoe' } }));
    expect(Object.isFrozen(plan) && Object.isFrozen(plan.batches) && Object.isFrozen(plan.batches[0]?.operations)).toBe(true);
    expect(JSON.parse(JSON.stringify(plan))).toMatchObject({ root: ROOT, archive: ARCHIVE, localZone: 'tempZone' });
  });
});
