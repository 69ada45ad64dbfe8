import type { Avu } from '../avus.js';
import type { CatalogObject } from '../catalog.js';
import { normalizeLpath } from '../paths.js';
import { ACCESS, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Resource } from '../resources.js';
import type { Zone } from '../zone.js';
import { AtomicFailure, errorText } from './acls.js';
import { JsonAccessError, asString, isJsonObject, operationsOf, requireString } from './json-input.js';
import { statusOf } from './object-status.js';

export type MetadataEntityType = 'collection' | 'data_object' | 'user' | 'resource';

type MetadataTarget =
  | { readonly kind: 'object'; readonly object: CatalogObject }
  | { readonly kind: 'user'; readonly user: Principal }
  | { readonly kind: 'resource'; readonly resource: Resource };

/**
 * get_object_id of the atomic metadata API: a GenQuery run as the caller, so under STRICT an
 * object the caller cannot read "does not exist" (SYS_INVALID_INPUT_PARAM).
 */
function findTarget(zone: Zone, user: Principal, entityType: MetadataEntityType, name: string): MetadataTarget | undefined {
  if (entityType === 'user') {
    const principal = zone.catalog.principals.find(name);
    return principal ? { kind: 'user', user: principal } : undefined;
  }
  if (entityType === 'resource') {
    const resource = zone.catalog.resources.get(name);
    return resource ? { kind: 'resource', resource } : undefined;
  }
  const path = normalizeLpath(name);
  if (path === undefined || path !== name) return undefined;
  const status = statusOf(zone.catalog, user, path);
  if (entityType === 'collection' && status.type === 'collection') return { kind: 'object', object: status.collection };
  if (entityType === 'data_object' && status.type === 'data_object') return { kind: 'object', object: status.object };
  return undefined;
}

/**
 * rc_atomic_apply_metadata_operations (irods/irods plugins/api/src/atomic_apply_metadata_operations.cpp):
 * the caller needs modify_object on a collection or data object (any level of a group counts),
 * rodsadmin for users, or admin mode (rodsadmin only). Operations apply in one transaction.
 * Adding an AVU that is already attached and removing one that is not are both no-ops there,
 * not errors; an empty attribute or value is SYS_INVALID_INPUT_PARAM, an unknown operation
 * INVALID_OPERATION, a missing key JSON_VALIDATION_ERROR.
 */
export function applyMetadataOperations(
  zone: Zone,
  user: Principal,
  entityType: MetadataEntityType,
  entityName: string,
  operationsJson: unknown,
  adminMode: boolean,
): void {
  const { catalog } = zone;
  const target = findTarget(zone, user, entityType, entityName);
  if (!target) {
    throw new AtomicFailure('SYS_INVALID_INPUT_PARAM', {
      operation: {},
      operation_index: 0,
      error_message: `Entity does not exist [entity_name=${entityName}]`,
    });
  }
  if (adminMode) {
    if (!isAdmin(user)) {
      throw new AtomicFailure('CAT_INSUFFICIENT_PRIVILEGE_LEVEL', { operation: {}, operation_index: 0, error_message: 'User is not an administrator' });
    }
  } else {
    const allowed = target.kind === 'object' ? hasAccess(user, target.object, ACCESS.modify_object) : isAdmin(user);
    if (!allowed) {
      throw new AtomicFailure('CAT_NO_ACCESS_PERMISSION', { operation: {}, operation_index: 0, error_message: 'User not allowed to modify metadata' });
    }
  }

  let operations: unknown[];
  try {
    operations = operationsOf(operationsJson);
  } catch (err) {
    throw new AtomicFailure('SYS_INTERNAL_ERR', { operation: {}, operation_index: 0, error_message: errorText(err) });
  }

  const staged: { op: 'add' | 'remove'; avu: Avu }[] = [];
  operations.forEach((op, index) => {
    try {
      const attribute = requireString(op, 'attribute');
      const value = requireString(op, 'value');
      if (attribute === '' || value === '') {
        throw new AtomicFailure('SYS_INVALID_INPUT_PARAM', {
          operation: op,
          operation_index: index,
          error_message: `Empty metadata attribute name or value [attribute=${attribute}, value=${value}]`,
        });
      }
      const units = isJsonObject(op) && Object.hasOwn(op, 'units') ? asString(op.units) : '';
      const code = requireString(op, 'operation');
      if (code !== 'add' && code !== 'remove') {
        throw new AtomicFailure('INVALID_OPERATION', { operation: op, operation_index: index, error_message: 'Invalid metadata operation.' });
      }
      staged.push({ op: code, avu: { attribute, value, units } });
    } catch (err) {
      if (err instanceof AtomicFailure) throw err;
      if (err instanceof JsonAccessError) {
        throw new AtomicFailure('JSON_VALIDATION_ERROR', { operation: op, operation_index: index, error_message: err.message });
      }
      throw err;
    }
  });

  for (const { op, avu } of staged) {
    if (target.kind !== 'object') {
      const avus = target.kind === 'user' ? target.user.avus : target.resource.avus;
      if (op === 'add') avus.add(avu);
      else avus.remove(avu);
      catalog.touch();
    } else if (op === 'add') {
      catalog.addAvu(target.object, avu);
    } else {
      catalog.removeAvu(target.object, avu);
    }
  }
}
