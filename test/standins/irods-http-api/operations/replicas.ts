import { REPLICA_STATUS, type DataObject, type Replica } from '../catalog.js';
import { fail } from '../errors.js';
import { asObjPath } from '../limits.js';
import { normalizeLpath } from '../paths.js';
import { ACCESS, canSee, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import { chooseReplica, hasReplicaUnder, replicationSiblings, rootResourceNamed, storageForCreate } from '../replica-placement.js';
import type { Zone } from '../zone.js';
import { lookupForAccess } from './object-lookup.js';
import { updateReplicaOn } from './replica-writes.js';

/**
 * The replica operations of /data-objects: replicate (rsDataObjRepl), trim (rsDataObjTrim),
 * truncate (rs_replica_truncate) and modify_replica (rsModDataObjMeta), from
 * irods/irods server/api/src at 4.3.5 and 5.0.2 (the parts used here are identical).
 */

/** std::stoi: leading whitespace and sign, then digits; anything else is USER_INVALID_REPLICA_INPUT. */
function replicaNumberArgument(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  if (!match?.[1]) fail('USER_INVALID_REPLICA_INPUT', `invalid replica number argument:[${text}]`);
  const value = Number(match[1]);
  if (!Number.isSafeInteger(value) || value > 2 ** 31 - 1 || value < -(2 ** 31)) fail('USER_INVALID_REPLICA_INPUT', `replica number is out of range:[${text}]`);
  return value;
}

/** The object as file_object_factory finds it for the caller: absent or unseen is CAT_NO_ROWS_FOUND. */
function findObject(zone: Zone, user: Principal, lpath: string): DataObject {
  const path = normalizeLpath(asObjPath(lpath));
  const object = path === undefined ? undefined : zone.catalog.getDataObject(path);
  if (!object || (!isAdmin(user) && !(canSee(user, object) && canSee(user, object.collection)))) fail('CAT_NO_ROWS_FOUND', `failed in call to getDataObjInfoIncSpecColl for [${lpath}]`);
  return object;
}

/** A replica being written (or locked by that write) makes the object unavailable (logical locking). */
function throwIfLocked(zone: Zone, object: DataObject): void {
  if (zone.parallelWrites.isOpen(object) || object.replicas.some((r) => r.status === REPLICA_STATUS.intermediate || r.lockedFrom !== undefined)) {
    fail('LOCKED_DATA_OBJECT_ACCESS', `data object is locked [path=[${object.path}]]`);
  }
}

export interface ReplicateOptions {
  readonly destinationResource: string;
  readonly sourceResource?: string | undefined;
  readonly sourceReplicaNumber?: string | undefined;
  readonly admin: boolean;
}

/**
 * rsDataObjRepl → replicate_data_object: the source is resolved first (its resource keyword,
 * then its replica number: USER_INVALID_REPLICA_INPUT when not a number, SYS_REPLICA_INACCESSIBLE
 * when the vote picks another replica, as for -1), the caller needs modify_object
 * (SYS_USER_NO_PERMISSION), then the destination root. An existing destination replica that is
 * good (or the source itself) is left alone; a stale one is overwritten from a good source only
 * (SYS_NOT_ALLOWED); a missing one is created.
 */
export async function replicate(zone: Zone, user: Principal, lpath: string, options: ReplicateOptions): Promise<void> {
  const { catalog } = zone;
  if (options.sourceResource !== undefined && options.sourceReplicaNumber !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  const sourceKeyword = options.sourceResource !== undefined ? rootResourceNamed(catalog, options.sourceResource) : undefined;
  const requested = options.sourceReplicaNumber !== undefined ? replicaNumberArgument(options.sourceReplicaNumber) : undefined;
  const object = findObject(zone, user, lpath);
  const source = chooseReplica(catalog, object, 'open', { keyword: sourceKeyword, requested });
  if (!(options.admin && isAdmin(user)) && !hasAccess(user, object, ACCESS.modify_object)) {
    fail('SYS_USER_NO_PERMISSION', `User [${user.name}#${user.zone}] does not have sufficient permission to replicate object [${object.path}].`);
  }
  if (sourceKeyword && catalog.resources.rootOf(source.resource) !== sourceKeyword) fail('SYS_REPLICA_INACCESSIBLE', `hierarchy descending from specified source resource name [${sourceKeyword.name}] does not have a replica`);
  if (requested !== undefined && source.number !== requested) fail('SYS_REPLICA_INACCESSIBLE', `specified source replica number [${options.sourceReplicaNumber ?? ''}] does not exist or the replica is inaccessible at this time`);
  const destinationRoot = rootResourceNamed(catalog, options.destinationResource);
  if (hasReplicaUnder(catalog, object, destinationRoot)) {
    const destination = chooseReplica(catalog, object, 'write', { keyword: destinationRoot });
    if (catalog.resources.rootOf(destination.resource) === destinationRoot) {
      if (source.status !== REPLICA_STATUS.good) fail('SYS_NOT_ALLOWED', `Selected source replica in hierarchy [${catalog.resources.hierarchyOf(source.resource)}] is not good and will overwrite an existing replica. Replication is not allowed.`);
      if (destination === source || destination.status === REPLICA_STATUS.good) return;
      await copyInto(zone, object, source, destination.resource);
      return;
    }
  }
  throwIfLocked(zone, object);
  await copyInto(zone, object, source, storageForCreate(catalog, destinationRoot));
}

/** Replication's data movement, then the replication resource's own fan-out to its other children. */
async function copyInto(zone: Zone, object: DataObject, source: Replica, target: Replica['resource']): Promise<void> {
  const written = await updateReplicaOn(zone, object, source, target);
  for (const sibling of replicationSiblings(zone.catalog, written.resource)) {
    if (object.replicas.some((r) => r.resource === sibling && r.status === REPLICA_STATUS.good)) continue;
    await updateReplicaOn(zone, object, written, sibling);
  }
}

export interface TrimOptions {
  readonly replicaNumber: string;
  readonly catalogOnly: boolean;
  readonly admin: boolean;
}

/**
 * rsDataObjTrim with the HTTP API's COPIES_KW=1: an object with one replica keeps it (status 0);
 * otherwise the named replica goes unless it is not a number (USER_INVALID_REPLICA_INPUT), does
 * not exist (SYS_REPLICA_DOES_NOT_EXIST), is locked, or is the last good replica
 * (USER_INCOMPATIBLE_PARAMS, "cannot remove the last good replica"). catalog-only unregisters.
 */
export async function trim(zone: Zone, user: Principal, lpath: string, options: TrimOptions): Promise<void> {
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  const object = lookupForAccess(zone, user, lpath, options.admin && isAdmin(user) ? ACCESS.null : ACCESS.delete_object);
  if (object.replicas.length <= 1) return;
  const number = replicaNumberArgument(options.replicaNumber);
  const replica = object.replicas.find((r) => r.number === number) ?? fail('SYS_REPLICA_DOES_NOT_EXIST', 'target replica does not exist');
  throwIfLocked(zone, object);
  const good = object.replicas.filter((r) => r.status === REPLICA_STATUS.good).length;
  if (good <= 1 && replica.status === REPLICA_STATUS.good) fail('USER_INCOMPATIBLE_PARAMS', 'cannot remove the last good replica');
  if (options.catalogOnly && !isAdmin(user) && replica.inVault) fail('CANT_UNREG_IN_VAULT_FILE');
  zone.catalog.removeReplica(object, replica);
  if (!options.catalogOnly && replica.inVault) await zone.vault.remove(replica.physicalPath);
}

export interface TruncateOptions {
  readonly resource?: string | undefined;
  readonly replicaNumber?: string | undefined;
  readonly admin: boolean;
}

export interface TruncateOutcome {
  readonly object: DataObject;
  readonly replica: Replica;
}

/**
 * rs_replica_truncate: `resource` and `replica-number` together are SYS_INVALID_INPUT_PARAM; the
 * admin flag is for rodsadmins; the replica is resolved as for a write (a missing object is
 * OBJ_PATH_DOES_NOT_EXIST, a missing replica SYS_REPLICA_DOES_NOT_EXIST), must not be locked,
 * and must lie under the named resource (SYS_REPLICA_INACCESSIBLE). A new size makes it the
 * one good replica (ALL_REPL_STATUS_KW: the others become stale) and clears its checksum.
 */
export async function truncate(zone: Zone, user: Principal, lpath: string, size: number, options: TruncateOptions): Promise<TruncateOutcome> {
  const { catalog } = zone;
  if (options.resource !== undefined && options.replicaNumber !== undefined) {
    fail('SYS_INVALID_INPUT_PARAM', 'rs_replica_truncate: [rescName] and [replNum] keywords cannot be used together.');
  }
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL', `rs_replica_truncate: [irodsAdmin] keyword used by non-admin user [${user.name}#${user.zone}].`);
  const keyword = options.resource !== undefined ? rootResourceNamed(catalog, options.resource) : undefined;
  const requested = options.replicaNumber !== undefined ? replicaNumberArgument(options.replicaNumber) : undefined;
  const path = normalizeLpath(asObjPath(lpath));
  const object = path === undefined ? undefined : catalog.getDataObject(path);
  if (!object || (!isAdmin(user) && !(canSee(user, object) && canSee(user, object.collection)))) {
    // file_object_factory turns "no rows" into SYS_REPLICA_DOES_NOT_EXIST when a replica was named.
    if (requested !== undefined && requested >= 0) fail('SYS_REPLICA_DOES_NOT_EXIST', 'replica does not exist');
    fail('OBJ_PATH_DOES_NOT_EXIST', `rs_replica_truncate: Error occurred resolving hierarchy or getting information for [${lpath}]`);
  }
  const replica = chooseReplica(catalog, object, 'write', { keyword, requested });
  throwIfLocked(zone, object);
  if (keyword && catalog.resources.rootOf(replica.resource) !== keyword) fail('SYS_REPLICA_INACCESSIBLE');
  if (!(options.admin && isAdmin(user)) && !hasAccess(user, object, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
  if (size < 0) fail('SYS_INVALID_INPUT_PARAM');
  if (replica.size === size) return { object, replica };
  await zone.vault.truncate(replica.physicalPath, size);
  replica.size = size;
  replica.checksum = '';
  replica.status = REPLICA_STATUS.good;
  replica.modifyTime = catalog.now();
  for (const other of object.replicas) if (other !== replica && other.status === REPLICA_STATUS.good) other.status = REPLICA_STATUS.stale;
  catalog.touch();
  return { object, replica };
}

/** The properties modify_replica accepts, by the API's parameter names (op_modify_replica). */
export const REPLICA_PROPERTIES = [
  'new-data-checksum',
  'new-data-comments',
  'new-data-create-time',
  'new-data-expiry-time',
  'new-data-mode',
  'new-data-modify-time',
  'new-data-path',
  'new-data-replica-number',
  'new-data-replica-status',
  'new-data-resource-id',
  'new-data-size',
  'new-data-status',
  'new-data-type-name',
  'new-data-version',
  'new-data-access-time',
] as const;

export type ReplicaChanges = Partial<Record<(typeof REPLICA_PROPERTIES)[number], string>>;

/**
 * rsModDataObjMeta with ADMIN_KW (the API always sets it): rodsadmins only
 * (CAT_INSUFFICIENT_PRIVILEGE_LEVEL), on the replica named by number or hierarchy.
 */
export function modifyReplica(zone: Zone, user: Principal, lpath: string, target: { number?: number; hierarchy?: string }, changes: ReplicaChanges): void {
  if (!isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  const object = findObject(zone, user, lpath);
  const replica =
    object.replicas.find((r) => (target.hierarchy !== undefined ? zone.catalog.resources.hierarchyOf(r.resource) === target.hierarchy : r.number === target.number)) ??
    fail('CAT_NO_ROWS_FOUND', `no replica of [${object.path}] matches`);
  const integer = (text: string): number => {
    const value = Number.parseInt(text, 10);
    if (!Number.isFinite(value)) fail('SYS_INVALID_INPUT_PARAM', `invalid value [${text}]`);
    return value;
  };
  const set = <K extends keyof ReplicaChanges>(key: K, apply: (value: string) => void): void => {
    const value = changes[key];
    if (value !== undefined) apply(value);
  };
  set('new-data-checksum', (v) => (replica.checksum = v));
  set('new-data-comments', (v) => (replica.comments = v));
  set('new-data-expiry-time', (v) => (replica.expiry = v));
  set('new-data-mode', (v) => (replica.mode = v));
  set('new-data-modify-time', (v) => (replica.modifyTime = integer(v)));
  set('new-data-path', (v) => (replica.physicalPath = v));
  set('new-data-replica-status', (v) => {
    const status = integer(v);
    if (!Object.values(REPLICA_STATUS).some((s) => s === status)) fail('SYS_INVALID_INPUT_PARAM', `invalid replica status [${v}]`);
    replica.status = status as Replica['status'];
  });
  set('new-data-size', (v) => (replica.size = integer(v)));
  set('new-data-status', (v) => (replica.dataStatus = v));
  set('new-data-type-name', (v) => (replica.dataType = v));
  set('new-data-version', (v) => (replica.version = v));
  set('new-data-access-time', (v) => (replica.accessTime = integer(v)));
  zone.catalog.touch();
}
