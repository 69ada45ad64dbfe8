import type { CatalogObject } from '../catalog.js';
import { IrodsFailure, fail } from '../errors.js';
import { ACCESS, hasAccess, isAdmin, parseAtomicAclName } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { JsonAccessError, asString, isJsonObject, operationsOf, requireString } from './json-input.js';

/**
 * rsModAccessControl as fs::client::permissions drives it (db_mod_access_control_op): without
 * admin mode the caller must own the object; admin mode is for rodsadmins only; the receiving
 * user or group must exist. Level ACCESS.null removes the caller's row.
 */
export function setPermission(zone: Zone, user: Principal, target: CatalogObject, entity: string, level: number, admin: boolean): void {
  const { catalog } = zone;
  if (admin && !isAdmin(user)) fail('CAT_NO_ACCESS_PERMISSION', 'cannot set permissions: You must be the admin to use the -M admin mode');
  if (!admin && !hasAccess(user, target, ACCESS.own)) {
    const what = target.kind === 'collection' ? 'collection' : 'data object';
    fail('CAT_NO_ACCESS_PERMISSION', `cannot set permissions: User [${user.name}] has insufficient permission to modifiy ${what}: [${target.path}]`);
  }
  const hashes = entity.split('#').length - 1;
  if (hashes > 1) fail('USER_INVALID_USERNAME_FORMAT', `cannot parse user/group name: ${target.path}`);
  const principal = catalog.principals.find(entity);
  if (!principal) fail('CAT_INVALID_USER', `cannot set permissions: ${target.path}`);
  if (level === ACCESS.null) target.acl.delete(principal.id);
  else target.acl.set(principal.id, level);
  catalog.touch();
}

/** The error object the atomic APIs return in `failed_operation`. */
export interface FailedOperation {
  readonly operation: unknown;
  readonly operation_index: number;
  readonly error_message: string;
}

export class AtomicFailure extends IrodsFailure {
  constructor(
    errorName: ConstructorParameters<typeof IrodsFailure>[0],
    readonly failedOperation: FailedOperation,
  ) {
    super(errorName, failedOperation.error_message);
    this.name = 'AtomicFailure';
  }
}

/**
 * rc_atomic_apply_acl_operations (irods/irods plugins/api/src/atomic_apply_acl_operations.cpp):
 * all operations apply in one transaction or none does. The caller must own the object unless
 * admin mode is on, which requires a rodsadmin.
 */
export function applyAclOperations(zone: Zone, user: Principal, target: CatalogObject, operationsJson: unknown, adminMode: boolean): void {
  const { catalog } = zone;
  const who = `${user.name}#${user.zone}`;
  if (adminMode && !isAdmin(user)) {
    throw new AtomicFailure('CAT_INSUFFICIENT_PRIVILEGE_LEVEL', {
      operation: {},
      operation_index: 0,
      error_message: `User [${who}] not allowed to modify ACLs [logical_path=${target.path}, object_id=${target.id}]. admin_mode cannot be enabled because user is not an administrator.`,
    });
  }
  if (!adminMode && !hasAccess(user, target, ACCESS.own)) {
    throw new AtomicFailure('CAT_NO_ACCESS_PERMISSION', {
      operation: {},
      operation_index: 0,
      error_message: `User [${who}] not allowed to modify ACLs [logical_path=${target.path}, object_id=${target.id}]`,
    });
  }

  let operations: unknown[];
  try {
    operations = operationsOf(operationsJson);
  } catch (err) {
    throw new AtomicFailure('SYS_INTERNAL_ERR', { operation: {}, operation_index: 0, error_message: errorText(err) });
  }
  const staged: { principalId: number; level: number }[] = [];
  operations.forEach((op, index) => {
    try {
      const acl = requireString(op, 'acl');
      const level = parseAtomicAclName(acl);
      if (level === undefined) {
        throw new AtomicFailure('SYS_INVALID_INPUT_PARAM', { operation: op, operation_index: index, error_message: `Invalid ACL [acl=${acl}]` });
      }
      const zoneName = isJsonObject(op) && Object.hasOwn(op, 'zone') ? asString(op.zone) : catalog.zone;
      const principal = catalog.principals.find(requireString(op, 'entity_name'), zoneName);
      if (!principal) {
        throw new AtomicFailure('SYS_INVALID_INPUT_PARAM', { operation: op, operation_index: index, error_message: 'Invalid entity' });
      }
      staged.push({ principalId: principal.id, level });
    } catch (err) {
      if (err instanceof AtomicFailure) throw err;
      throw new AtomicFailure('SYS_INTERNAL_ERR', { operation: op, operation_index: index, error_message: errorText(err) });
    }
  });
  for (const { principalId, level } of staged) {
    if (level === ACCESS.null) target.acl.delete(principalId);
    else target.acl.set(principalId, level);
  }
  catalog.touch();
}

export function errorText(err: unknown): string {
  return err instanceof JsonAccessError || err instanceof Error ? err.message : String(err);
}
