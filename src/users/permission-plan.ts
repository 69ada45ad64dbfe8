import type { AclEntry, PermissionOperation } from '../irods/types.js';
import { diffAcls } from './acl-diff.js';
import { NoGroupMappingError, NoUserMappingError, PlanInputError } from './errors.js';
import { resolveOmeroGroup, resolveOmeroUser, type KnownIrodsNames } from './identity-resolution.js';
import { entityKey, entityName, isIrodsName, isZoneName, parseUserName, type IrodsEntity } from './irods-name.js';
import { formatIssuePath, type GrantLevel, type UserMap } from './user-map.js';

/**
 * Who gets access to an expanded archive, as a plan of ACL operations the permissions step
 * applies through the HTTP API. Pure: no I/O, plain values in, plain (serialisable) values out.
 *
 * Strategy (see docs/user-mapping.md, "What the step does with the plan"): the HTTP API has no
 * recursive set_permission, and inheritance only affects objects created after it is enabled,
 * so the plan names every collection and data object of the tree, each with its own batch for
 * the atomic `modify_permissions`. Collections also get inheritance, so whatever is added later
 * (an OMERO registration, a user's own upload) follows the same ACLs.
 */

/** One provenance record of transfer.xml (per Image and per Plate). */
export interface ProvenanceOwner {
  readonly originalUser?: string | undefined;
  readonly originalGroup?: string | undefined;
}

export interface PlanPermissionsInput {
  readonly map: UserMap;
  /** The agent's zone (config.irods.zone). */
  readonly localZone: string;
  /** The agent's own account (config.irods.username): never granted, lowered or revoked. */
  readonly serviceAccount: string;
  /** The archive data object: left alone, it keeps the ACLs its uploader gave it. */
  readonly archive: string;
  /** The expanded root collection. */
  readonly root: string;
  /** Collections of the tree below the root (the root itself may be included). */
  readonly collections?: readonly string[] | undefined;
  /** Data objects of the tree. */
  readonly dataObjects?: readonly string[] | undefined;
  /** The event's iRODS user: `name`, or `name#zone` for a user of another zone. */
  readonly uploader: string;
  /**
   * Why the uploader could not be confirmed in iRODS (checkUploader): then the uploader is
   * granted nothing and the plan warns. Absent: the caller confirmed the uploader.
   */
  readonly uploaderUnverified?: string | undefined;
  /** Every provenance record of the archive (duplicates are fine); empty for legacy archives. */
  readonly provenance: readonly ProvenanceOwner[];
  /** Names iRODS confirmed, for same_name (from lookupSameNames); without it same_name matches nobody. */
  readonly knownIrodsNames?: KnownIrodsNames | undefined;
}

export interface AclBatch {
  readonly lpath: string;
  readonly kind: 'collection' | 'data_object';
  /** The wanted ACL of this lpath; diff it against stat (operationsToApply) before sending. */
  readonly operations: readonly PermissionOperation[];
}

export type DecisionSubject = 'uploader' | 'original_user' | 'original_group' | 'prefix_rule' | 'revoke' | 'service_account';

/** One line of the audit: who got what, where, and which part of the mapping decided it. */
export interface PermissionDecision {
  readonly subject: DecisionSubject;
  /** The OMERO user or group the decision is about (original_user / original_group). */
  readonly omeroName: string | undefined;
  /** The iRODS entity granted (`name`, or `name#zone`); undefined when nobody was granted. */
  readonly entityName: string | undefined;
  readonly entityKind: 'user' | 'group' | undefined;
  readonly acl: GrantLevel | undefined;
  /** The lpath prefix the decision applies to (the root, or a prefix rule's prefix). */
  readonly appliesTo: string;
  /** The place in the mapping file: `users.alice`, `same_name`, `access.uploader`, `prefixes[0].grants[1]`, `no_match`. */
  readonly rule: string;
  readonly reason: string;
}

export type PlanWarningCode = 'no_user_mapping' | 'no_group_mapping' | 'no_provenance' | 'uploader_unverified';

/** To record on the job and as an AVU on the archive: a sentence an admin or scientist understands. */
export interface PlanWarning {
  readonly code: PlanWarningCode;
  readonly message: string;
  readonly omeroName: string | undefined;
}

export interface PermissionPlan {
  readonly root: string;
  readonly archive: string;
  readonly localZone: string;
  readonly serviceAccount: string;
  /** Diff with revoke (exact ACLs) rather than grants only. */
  readonly revoke: boolean;
  /** Parents before children, collections before data objects. The archive never appears. */
  readonly batches: readonly AclBatch[];
  /** Collections to enable inheritance on (already enabled ones need no call); empty when off. */
  readonly inheritance: readonly string[];
  readonly warnings: readonly PlanWarning[];
  readonly decisions: readonly PermissionDecision[];
  /** Which mapping decided: its file and digest. */
  readonly map: { readonly source: string | undefined; readonly digest: string };
}

// Written to stay linear and allocation-free: a tree can hold hundreds of thousands of paths.
const LPATH = /^(?:\/[^/]+)+$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

function normaliseLpath(raw: string, field: string): string {
  let end = raw.length;
  while (end > 1 && raw.charCodeAt(end - 1) === 0x2f) end--;
  const lpath = end === raw.length ? raw : raw.slice(0, end);
  if (!LPATH.test(lpath) || DOT_SEGMENT.test(lpath)) {
    throw new PlanInputError(field, `'${raw}' is not an absolute, normalised iRODS logical path`);
  }
  return lpath;
}

function isUnder(lpath: string, prefix: string): boolean {
  return lpath === prefix || lpath.startsWith(`${prefix}/`);
}

/** Parents before children (fewer segments first), then by name; depth computed once per path. */
function sortByDepth(lpaths: Iterable<string>): string[] {
  const keyed = [...lpaths].map((lpath) => ({ lpath, depth: lpath.split('/').length }));
  keyed.sort((a, b) => a.depth - b.depth || (a.lpath < b.lpath ? -1 : a.lpath > b.lpath ? 1 : 0));
  return keyed.map((k) => k.lpath);
}

const RANK: Readonly<Record<GrantLevel, number>> = { read: 1, write: 2, own: 3 };

interface Wanted {
  readonly entity: IrodsEntity;
  readonly acl: GrantLevel;
}

/** Adds a grant, keeping the higher level when an entity is wanted twice (uploader = owner). */
function want(into: Map<string, Wanted>, entity: IrodsEntity, acl: GrantLevel): void {
  const key = entityKey(entity.name, entity.zone);
  const before = into.get(key);
  if (!before || RANK[acl] > RANK[before.acl]) into.set(key, { entity, acl });
}

function distinct(values: Iterable<string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = v?.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * Plans the ACLs of an expanded archive. Throws NoUserMappingError / NoGroupMappingError when
 * the mapping says `fail` and an owner has no match (nothing is granted then), PlanInputError
 * on input the step should never pass (paths outside the root, a malformed user name).
 */
export function planPermissions(input: PlanPermissionsInput): PermissionPlan {
  const { map } = input;
  if (!isZoneName(input.localZone)) throw new PlanInputError('localZone', `'${input.localZone}' is not an iRODS zone name`);
  if (!isIrodsName(input.serviceAccount)) {
    throw new PlanInputError('serviceAccount', `'${input.serviceAccount}' is not an iRODS user name`);
  }
  const localZone = input.localZone;
  const root = normaliseLpath(input.root, 'root');
  const archive = normaliseLpath(input.archive, 'archive');
  if (isUnder(archive, root)) throw new PlanInputError('archive', 'must not lie inside the expanded tree');
  if (isUnder(root, archive)) throw new PlanInputError('root', 'must not lie inside the archive path');

  const uploaderParsed = parseUserName(input.uploader);
  if (!uploaderParsed) throw new PlanInputError('uploader', `'${input.uploader}' is not an iRODS user name (name or name#zone)`);
  const uploader: IrodsEntity = { kind: 'user', name: uploaderParsed.name, zone: uploaderParsed.zone ?? localZone };
  const service: IrodsEntity = { kind: 'user', name: input.serviceAccount, zone: localZone };
  const serviceKey = entityKey(service.name, service.zone);

  const decisions: PermissionDecision[] = [];
  const warnings: PlanWarning[] = [];
  const base = new Map<string, Wanted>();
  const name = (e: IrodsEntity): string => entityName(e, localZone);
  /** Records a grant in the audit trail. */
  const granted = (
    subject: DecisionSubject,
    omeroName: string | undefined,
    entity: IrodsEntity,
    acl: GrantLevel,
    rule: string,
    reason: string,
    appliesTo = root,
  ): void => {
    decisions.push({ subject, omeroName, entityName: name(entity), entityKind: entity.kind, acl, appliesTo, rule, reason });
  };
  /** Records a decision that granted nobody anything. */
  const nobody = (subject: DecisionSubject, omeroName: string | undefined, rule: string, reason: string): void => {
    decisions.push({ subject, omeroName, entityName: undefined, entityKind: undefined, acl: undefined, appliesTo: root, rule, reason });
  };
  /** Grants each OMERO owner (or group) its mapped iRODS entity; returns those without one. */
  const resolveNames = (kind: 'user' | 'group', names: readonly string[], acl: GrantLevel): { omero: string; reason: string }[] => {
    const subject: DecisionSubject = kind === 'user' ? 'original_user' : 'original_group';
    const role = kind === 'user' ? 'OMERO owner' : 'OMERO group';
    const unmatched: { omero: string; reason: string }[] = [];
    for (const omero of names) {
      const r = (kind === 'user' ? resolveOmeroUser : resolveOmeroGroup)(map, omero, localZone, input.knownIrodsNames);
      if (r.outcome === 'mapped') {
        want(base, r.entity, acl);
        granted(subject, omero, r.entity, acl, r.rule, r.via === 'same_name' ? `same name as the ${role}, confirmed in iRODS` : `mapped ${role}`);
      } else if (r.outcome === 'never') {
        nobody(subject, omero, r.rule, 'mapped to null in the mapping file: never granted');
      } else {
        unmatched.push({ omero, reason: r.reason });
      }
    }
    return unmatched;
  };
  const noGroupAccess = (names: readonly string[]): { omero: string; reason: string }[] => {
    for (const omero of names) nobody('original_group', omero, 'access.original_group', 'groups are given no access (access.original_group: none)');
    return [];
  };

  // The uploader keeps access to what they uploaded, whatever the mapping says, once iRODS
  // confirms they hold the archive (the event alone proves nothing).
  if (input.uploaderUnverified === undefined) {
    want(base, uploader, map.access.uploader);
    granted('uploader', undefined, uploader, map.access.uploader, 'access.uploader', 'the iRODS user who uploaded the archive');
  } else {
    const message = `${input.uploaderUnverified}; the uploader was given no access`;
    warnings.push({ code: 'uploader_unverified', message, omeroName: undefined });
    nobody('uploader', undefined, 'uploader_check', message);
  }

  // Original OMERO owners.
  const owners = distinct(input.provenance.map((p) => p.originalUser));
  if (owners.length === 0) {
    const message = 'the archive names no original OMERO owner (no provenance in transfer.xml); only the uploader was given access';
    warnings.push({ code: 'no_provenance', message, omeroName: undefined });
    nobody('original_user', undefined, 'provenance', message);
  }
  const unmatchedUsers = resolveNames('user', owners, map.access.originalUser);
  if (unmatchedUsers.length > 0 && map.noMatch === 'fail') {
    throw new NoUserMappingError(unmatchedUsers.map((u) => u.omero), map.source);
  }
  for (const u of unmatchedUsers) {
    warnings.push({
      code: 'no_user_mapping',
      omeroName: u.omero,
      message: `OMERO user '${u.omero}' has no iRODS user in the mapping (${u.reason}); only the uploader was given access`,
    });
    nobody('original_user', u.omero, 'no_match', `no match (${u.reason}); policy uploader-only`);
  }

  // Original OMERO groups.
  const groups = distinct(input.provenance.map((p) => p.originalGroup));
  const groupAcl = map.access.originalGroup;
  const unmatchedGroups = groupAcl === 'none' ? noGroupAccess(groups) : resolveNames('group', groups, groupAcl);
  if (unmatchedGroups.length > 0 && map.noGroupMatch === 'fail') {
    throw new NoGroupMappingError(unmatchedGroups.map((g) => g.omero), map.source);
  }
  for (const g of unmatchedGroups) {
    if (map.noGroupMatch === 'warn') {
      warnings.push({
        code: 'no_group_mapping',
        omeroName: g.omero,
        message: `OMERO group '${g.omero}' has no iRODS group in the mapping (${g.reason}); no group was given access`,
      });
    }
    nobody('original_group', g.omero, 'no_group_match', `no match (${g.reason}); policy ${map.noGroupMatch}`);
  }

  // The agent's own account owns what it wrote; a grant to it is meaningless and, with revoke,
  // could lower its own access.
  if (base.delete(serviceKey)) {
    nobody('service_account', undefined, 'serviceAccount', `the agent's own account (${service.name}) owns the tree; its access is never changed`);
  }

  // The tree: root first, parents before children, collections before data objects.
  const rootSlash = `${root}/`;
  const collections = new Set<string>([root]);
  for (const c of input.collections ?? []) {
    const lpath = normaliseLpath(c, 'collections');
    if (lpath !== root && !lpath.startsWith(rootSlash)) throw new PlanInputError('collections', `'${c}' lies outside the expanded root ${root}`);
    collections.add(lpath);
  }
  const dataObjects = new Set<string>();
  for (const d of input.dataObjects ?? []) {
    const lpath = normaliseLpath(d, 'dataObjects');
    if (!lpath.startsWith(rootSlash)) throw new PlanInputError('dataObjects', `'${d}' lies outside the expanded root ${root}`);
    if (collections.has(lpath)) throw new PlanInputError('dataObjects', `'${d}' is also listed as a collection`);
    dataObjects.add(lpath);
  }
  const orderedCollections = sortByDepth(collections);
  const orderedObjects = sortByDepth(dataObjects);

  // Prefix rules: evaluated per lpath, so a rule can cover the whole tree or one subtree of it.
  const rules = map.prefixes.map((rule, index) => ({ rule, index, used: false }));
  const memo = new Map<string, readonly PermissionOperation[]>();
  const operationsFor = (lpath: string): readonly PermissionOperation[] => {
    const applicable = rules.filter((r) => isUnder(lpath, r.rule.prefix));
    const memoKey = applicable.map((r) => r.index).join(',');
    const cached = memo.get(memoKey);
    if (cached) return cached;
    const merged = new Map(base);
    for (const r of applicable) {
      r.used = true;
      for (const g of r.rule.grants) {
        const entity: IrodsEntity = { kind: g.kind, name: g.name, zone: g.zone ?? localZone };
        if (entityKey(entity.name, entity.zone) !== serviceKey) want(merged, entity, g.acl);
      }
    }
    const ops = Object.freeze(
      [...merged.values()]
        .map((w): PermissionOperation => Object.freeze({ entityName: name(w.entity), acl: w.acl }))
        .sort((a, b) => (a.entityName < b.entityName ? -1 : a.entityName > b.entityName ? 1 : 0)),
    );
    memo.set(memoKey, ops);
    return ops;
  };
  const batches: AclBatch[] = [
    ...orderedCollections.map((lpath): AclBatch => ({ lpath, kind: 'collection', operations: operationsFor(lpath) })),
    ...orderedObjects.map((lpath): AclBatch => ({ lpath, kind: 'data_object', operations: operationsFor(lpath) })),
  ];

  for (const r of rules) {
    if (!r.used) continue;
    r.rule.grants.forEach((g, j) => {
      const entity: IrodsEntity = { kind: g.kind, name: g.name, zone: g.zone ?? localZone };
      const rule = formatIssuePath(['prefixes', r.index, 'grants', j]);
      const appliesTo = isUnder(root, r.rule.prefix) ? root : r.rule.prefix;
      granted('prefix_rule', undefined, entity, g.acl, rule, `everything under ${r.rule.prefix}`, appliesTo);
    });
  }
  if (map.revoke) {
    nobody('revoke', undefined, 'revoke', 'ACLs are made exactly the planned ones: other entities lose access, higher levels are lowered');
  }

  return Object.freeze({
    root,
    archive,
    localZone,
    serviceAccount: input.serviceAccount,
    revoke: map.revoke,
    batches: Object.freeze(batches),
    inheritance: Object.freeze(map.inheritance ? orderedCollections : []),
    warnings: Object.freeze(warnings.map((w) => Object.freeze(w))),
    decisions: Object.freeze(decisions.map((d) => Object.freeze(d))),
    map: Object.freeze({ source: map.source, digest: map.digest }),
  });
}

/** What to send for one batch, given the lpath's ACL from stat. */
export interface OperationsToApply {
  /** Local-zone entities: one atomic `modify_permissions` call (skip when empty). */
  readonly modifyPermissions: readonly PermissionOperation[];
  /**
   * Entities of other zones (`name#zone`): one `set_permission` each, because the atomic ACL
   * API looks entity names up in the local zone only (iRODS < 5.0; irods/irods#7408).
   */
  readonly setPermission: readonly PermissionOperation[];
}

/**
 * The operations that bring `current` (stat's permissions of batch.lpath) to the planned ACL:
 * only raises with the default mapping, exact with `revoke`; never touches the agent's account.
 * Empty on a second run.
 */
export function operationsToApply(plan: PermissionPlan, batch: AclBatch, current: readonly AclEntry[]): OperationsToApply {
  const ops = diffAcls(current, batch.operations, {
    localZone: plan.localZone,
    revoke: plan.revoke,
    keep: [plan.serviceAccount],
  });
  return {
    modifyPermissions: ops.filter((op) => !op.entityName.includes('#')),
    setPermission: ops.filter((op) => op.entityName.includes('#')),
  };
}
