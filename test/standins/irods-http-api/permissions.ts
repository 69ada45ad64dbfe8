import type { Principal } from './principals.js';

/**
 * Access levels as the catalog stores them (R_TOKN_MAIN, namespace access_type; iRODS 4.3
 * renamed them with underscores). A permission grants every level at or below it, so checks
 * compare numbers: `level >= ACCESS.read_object`.
 */
export const ACCESS = {
  null: 1000,
  read_metadata: 1040,
  read_object: 1050,
  create_metadata: 1070,
  modify_metadata: 1080,
  delete_metadata: 1090,
  create_object: 1110,
  modify_object: 1120,
  delete_object: 1130,
  own: 1200,
} as const;

export type AccessName = keyof typeof ACCESS;

const NAME_BY_LEVEL = new Map<number, AccessName>(
  (Object.entries(ACCESS) as [AccessName, number][]).map(([name, level]) => [level, name]),
);

export function accessName(level: number): AccessName {
  return NAME_BY_LEVEL.get(level) ?? 'null';
}

/**
 * The names `set_permission` accepts (irods_client_http_api core/src/common.cpp
 * to_permission_enum): the granular 4.3 names plus the legacy read/write.
 */
export function parsePermissionName(name: string): number | undefined {
  switch (name) {
    case 'read':
      return ACCESS.read_object;
    case 'write':
      return ACCESS.modify_object;
    default:
      return Object.hasOwn(ACCESS, name) ? ACCESS[name as AccessName] : undefined;
  }
}

/**
 * The names the atomic ACL API accepts (irods/irods plugins/api/src/atomic_apply_acl_operations.cpp
 * acl_to_id): the same set; it answers SYS_INVALID_INPUT_PARAM for anything else.
 */
export const parseAtomicAclName = parsePermissionName;

/** Anything carrying an ACL: R_OBJT_ACCESS rows keyed by principal id. */
export interface HasAcl {
  readonly acl: Map<number, number>;
}

/**
 * The caller's effective level: the highest level granted to the user or to any group it is a
 * member of (iRODS joins R_USER_GROUP, where every user is also a member of itself).
 */
export function effectiveAccess(user: Principal, target: HasAcl): number {
  let best: number = ACCESS.null;
  const own = target.acl.get(user.id);
  if (own !== undefined && own > best) best = own;
  for (const groupId of user.groups) {
    const level = target.acl.get(groupId);
    if (level !== undefined && level > best) best = level;
  }
  return best;
}

export function hasAccess(user: Principal, target: HasAcl, needed: number): boolean {
  return effectiveAccess(user, target) >= needed;
}

/** rodsadmin is the only privileged type (LOCAL_PRIV_USER_AUTH); groupadmin is not. */
export function isAdmin(user: Principal): boolean {
  return user.type === 'rodsadmin';
}

/**
 * Catalog visibility under the STRICT ACL policy the default core.re sets
 * (`acAclPolicy {msiAclPolicy("STRICT"); }`): for a non-admin, every GenQuery row touching
 * R_COLL_MAIN or R_DATA_MAIN is restricted to objects the caller can read_object
 * (irods/irods plugins/database/src/general_query.cpp genqAppendAccessCheck). Stat, list and
 * existence checks are GenQueries too, so an unreadable object simply does not exist for them.
 */
export function canSee(user: Principal, target: HasAcl): boolean {
  return isAdmin(user) || hasAccess(user, target, ACCESS.read_object);
}
