import { stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { REPLICA_STATUS, type Collection, type DataObject } from '../catalog.js';
import { IRODS_ERRORS, IrodsFailure, fail, withErrno } from '../errors.js';
import { nameOf, normalizeLpath, parentOf } from '../paths.js';
import { ACCESS, canSee, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { OpenMode } from '../vault.js';
import type { Zone } from '../zone.js';
import { statusOf } from './object-status.js';
import { ensureTrashCollection, isInTrash, trashPathFor, withRandomSuffix } from './trash.js';

/**
 * Data object semantics of the iRODS server APIs the HTTP API calls (rsDataObjOpen/Close through
 * dstream, rsDataObjUnlink, rsDataObjRename, rsDataObjCopy, rsDataObjChksum, rsPhyPathReg,
 * rs_touch, rs_replica_truncate). Permission checks are the catalog's: rodsadmins need ACLs for
 * data access too; only the admin flag (ADMIN_KW) of a few operations lifts that.
 */

export interface OpenForWrite {
  /** truncate=1 (the default): O_CREAT|O_TRUNC. */
  readonly truncate: boolean;
  /** append=1: O_APPEND, every write at the end; creates, never truncates. */
  readonly append: boolean;
}

/** A replica opened for writing and how its file must be opened (see Vault). */
export interface OpenedReplica {
  readonly object: DataObject;
  readonly mode: OpenMode;
}

/**
 * Opens (and when allowed creates) the replica for writing the way dstream maps the API's
 * openmode to open flags (irods/irods lib/core/include/irods/transport/default_transport.hpp
 * make_open_flags): truncate=0 without append is O_RDWR without O_CREAT, so it only opens
 * existing objects. The replica is intermediate until finishWrite. The file itself is opened
 * by the write that follows (one open per request), with the returned mode.
 */
export function openForWrite(zone: Zone, user: Principal, lpath: string, flags: OpenForWrite): OpenedReplica {
  const { catalog } = zone;
  const path = normalizeLpath(lpath) ?? fail('OBJ_PATH_DOES_NOT_EXIST', `Could not open output stream to [${lpath}].`);
  const mayCreate = flags.truncate || flags.append;
  const mode: OpenMode = flags.append ? 'append' : flags.truncate ? 'truncate' : 'keep';
  if (catalog.getCollection(path)) fail('CAT_NAME_EXISTS_AS_COLLECTION', `Could not open output stream to [${path}].`);
  const existing = catalog.getDataObject(path);
  if (existing) {
    if (!isAdmin(user) && !(canSee(user, existing) && canSee(user, existing.collection))) {
      fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
    }
    if (zone.parallelWrites.isOpen(existing)) fail('LOCKED_DATA_OBJECT_ACCESS', `Could not open output stream to [${path}].`);
    if (!hasAccess(user, existing, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
    existing.replicaStatus = REPLICA_STATUS.intermediate;
    catalog.touch();
    return { object: existing, mode };
  }
  if (!mayCreate) fail('OBJ_PATH_DOES_NOT_EXIST', `Could not open output stream to [${path}].`);
  const collection = catalog.getCollection(parentOf(path));
  if (!collection) fail('CAT_UNKNOWN_COLLECTION', `Could not open output stream to [${path}].`);
  if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
  return { object: catalog.createDataObject(collection, nameOf(path), user), mode };
}

/**
 * Closing the replica: its size (from the write, or the file), good status, new mtime, and no
 * checksum (a modified replica's checksum is cleared rather than kept stale).
 */
export async function finishWrite(zone: Zone, object: DataObject, size?: number): Promise<void> {
  object.size = size ?? (await zone.vault.size(object.physicalPath).catch(() => object.size));
  object.replicaStatus = REPLICA_STATUS.good;
  object.modifyTime = zone.catalog.now();
  object.checksum = '';
  zone.catalog.touch();
}

/** The error code a write that could not open reports (INVALID_HANDLE before iRODS 5.1 dstream). */
export function writeOpenErrorCode(zone: Zone, err: IrodsFailure): number {
  return zone.settings.exposeWriteErrorCodes ? err.code : IRODS_ERRORS.INVALID_HANDLE;
}

/**
 * getDataObjInfo with an access level, as checksum, unlink and friends look an object up:
 * CAT_NO_ROWS_FOUND when it does not exist for the caller, CAT_NO_ACCESS_PERMISSION when the
 * caller's level is too low.
 */
export function lookupForAccess(zone: Zone, user: Principal, lpath: string, needed: number): DataObject {
  const path = normalizeLpath(lpath);
  const object = path === undefined ? undefined : zone.catalog.getDataObject(path);
  if (!object || (!isAdmin(user) && !(canSee(user, object) && canSee(user, object.collection)))) {
    fail('CAT_NO_ROWS_FOUND', `${lpath}`);
  }
  if (!hasAccess(user, object, needed)) fail('CAT_NO_ACCESS_PERMISSION', `${lpath}`);
  return object;
}

export interface ChecksumOptions {
  readonly force: boolean;
  readonly admin: boolean;
  readonly replicaNumber?: string | undefined;
  readonly resource?: string | undefined;
  readonly all: boolean;
}

function checkReplicaSelection(zone: Zone, object: DataObject, options: Pick<ChecksumOptions, 'replicaNumber' | 'resource' | 'all'>): void {
  if (options.replicaNumber !== undefined && options.resource !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.all && (options.replicaNumber !== undefined || options.resource !== undefined)) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.replicaNumber !== undefined && Number(options.replicaNumber) !== object.replicaNumber) fail('SYS_REPLICA_DOES_NOT_EXIST');
  if (options.resource !== undefined && options.resource !== zone.catalog.resource) fail('SYS_REPLICA_DOES_NOT_EXIST');
}

/**
 * rsDataObjChksum lookup-or-update: returns the recorded checksum unless `force`; otherwise
 * computes SHA-256 over the replica and records `sha2:<base64>`. Needs read_object.
 */
export async function calculateChecksum(zone: Zone, user: Principal, lpath: string, options: ChecksumOptions): Promise<string> {
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  const object = lookupForAccess(zone, user, lpath, ACCESS.read_object);
  checkReplicaSelection(zone, object, options);
  if (object.replicaStatus !== REPLICA_STATUS.good) {
    fail(options.all ? 'SYS_NO_GOOD_REPLICA' : 'SYS_REPLICA_DOES_NOT_EXIST');
  }
  if (!options.force && object.checksum !== '') return object.checksum;
  const checksum = await zone.vault.checksum(object.physicalPath);
  object.checksum = checksum;
  zone.catalog.touch();
  return checksum;
}

export interface VerificationResult {
  readonly severity: 'info' | 'warning' | 'error';
  readonly error_code: number;
  readonly message: string;
}

/**
 * rsDataObjChksum with VERIFY_CHKSUM_KW (do_verification): compares the physical size with the
 * catalog's, reports a missing checksum as a warning, and unless compute-checksums=0 recomputes
 * and compares the checksum. Findings come back as CHECK_VERIFICATION_RESULTS + a result list.
 */
export async function verifyChecksum(
  zone: Zone,
  user: Principal,
  lpath: string,
  options: Pick<ChecksumOptions, 'admin' | 'replicaNumber' | 'resource'> & { readonly compute: boolean },
): Promise<VerificationResult[]> {
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  const object = lookupForAccess(zone, user, lpath, ACCESS.read_object);
  checkReplicaSelection(zone, object, { ...options, all: false });
  const targeted = options.replicaNumber !== undefined || options.resource !== undefined;
  if (!targeted && object.replicaStatus !== REPLICA_STATUS.good) fail('SYS_NO_GOOD_REPLICA');
  const results: VerificationResult[] = [];
  const physicalSize = await zone.vault.size(object.physicalPath).catch(() => -1);
  if (physicalSize < 0) {
    results.push({ severity: 'error', error_code: withErrno(IRODS_ERRORS.UNIX_FILE_STAT_ERR, 2), message: `ERROR: Could not verify size for replica [${object.replicaNumber}].` });
  } else if (physicalSize !== object.size) {
    results.push({
      severity: 'error',
      error_code: IRODS_ERRORS.USER_FILE_SIZE_MISMATCH,
      message: `ERROR: Physical size does not match size in catalog for replica [${object.replicaNumber}].`,
    });
  }
  if (object.checksum === '') {
    results.push({
      severity: 'warning',
      error_code: IRODS_ERRORS.CAT_NO_CHECKSUM_FOR_REPLICA,
      message: `WARNING: No checksum available for replica [${object.replicaNumber}].`,
    });
    return results;
  }
  if (options.compute && physicalSize >= 0) {
    const computed = await zone.vault.checksum(object.physicalPath);
    if (computed !== object.checksum) {
      results.push({
        severity: 'error',
        error_code: IRODS_ERRORS.USER_CHKSUM_MISMATCH,
        message: `ERROR: Computed checksum does not match what is in the catalog for replica [${object.replicaNumber}].`,
      });
    }
  }
  return results;
}

export interface RemoveDataObjectOptions {
  readonly catalogOnly: boolean;
  readonly noTrash: boolean;
  readonly admin: boolean;
}

/**
 * rsDataObjUnlink: the lookup opens for write (modify_object), then trash or unlink need
 * delete_object unless a rodsadmin sets the admin flag. Unregistering (catalog-only) a replica
 * inside a vault is for rodsadmins only; replicas outside a vault (registered files) are only
 * ever unregistered, never deleted. Objects already in the trash are removed for good.
 */
export async function removeDataObject(zone: Zone, user: Principal, lpath: string, options: RemoveDataObjectOptions): Promise<void> {
  const { catalog, vault } = zone;
  const object = lookupForAccess(zone, user, lpath, ACCESS.modify_object);
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  if (zone.parallelWrites.isOpen(object)) fail('LOCKED_DATA_OBJECT_ACCESS');
  const mayDelete = (options.admin && isAdmin(user)) || hasAccess(user, object, ACCESS.delete_object);
  if (!mayDelete) fail('CAT_NO_ACCESS_PERMISSION');
  if (options.catalogOnly) {
    if (!isAdmin(user) && object.inVault) fail('CANT_UNREG_IN_VAULT_FILE');
    catalog.removeDataObject(object);
    return;
  }
  if (options.noTrash || isInTrash(catalog, object.path)) {
    catalog.removeDataObject(object);
    if (object.inVault) await vault.remove(object.physicalPath);
    return;
  }
  let target = trashPathFor(catalog, user, object.path);
  const trashCollection = ensureTrashCollection(catalog, user, parentOf(target));
  while (trashCollection.dataObjects.has(nameOf(target)) || trashCollection.collections.has(nameOf(target))) {
    target = withRandomSuffix(target);
  }
  catalog.moveDataObject(object, trashCollection, nameOf(target));
}

/**
 * fs::client::rename for a data object, then rsDataObjRename: own on the object, modify_object
 * on a different target collection; an existing collection at the target is INVALID_OBJECT_TYPE,
 * an existing data object CAT_NAME_EXISTS_AS_DATAOBJ.
 */
export function renameDataObject(zone: Zone, user: Principal, object: DataObject, newLpath: string): void {
  const { catalog } = zone;
  const target = normalizeLpath(newLpath) ?? fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${newLpath}`);
  if (target === object.path) return;
  const name = nameOf(target);
  if (name === '.' || name === '..') fail('SYS_INVALID_INPUT_PARAM', `path cannot end with "." or "..": ${target}`);
  const existing = statusOf(catalog, user, target);
  if (existing.type === 'collection') fail('INVALID_OBJECT_TYPE', `path is not a data object: ${target}`);
  if (existing.type === 'not_found' && statusOf(catalog, user, parentOf(target)).type !== 'collection') {
    fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${parentOf(target)}`);
  }
  const destination = catalog.getCollection(parentOf(target));
  if (!destination) fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${parentOf(target)}`);
  if (zone.parallelWrites.isOpen(object)) fail('LOCKED_DATA_OBJECT_ACCESS', `cannot rename object: ${object.path}, ${target}`);
  if (!hasAccess(user, object, ACCESS.own)) fail('CAT_NO_ACCESS_PERMISSION', `cannot rename object: ${object.path}, ${target}`);
  if (destination !== object.collection && !hasAccess(user, destination, ACCESS.modify_object)) {
    fail('CAT_NO_ACCESS_PERMISSION', `cannot rename object: ${object.path}, ${target}`);
  }
  if (destination.dataObjects.has(name)) fail('CAT_NAME_EXISTS_AS_DATAOBJ', `cannot rename object: ${object.path}, ${target}`);
  if (destination.collections.has(name)) fail('CAT_NAME_EXISTS_AS_COLLECTION', `cannot rename object: ${object.path}, ${target}`);
  catalog.moveDataObject(object, destination, name);
}

/**
 * rsDataObjCopy: an existing target without overwrite is OVERWRITE_WITHOUT_FORCE_FLAG; then the
 * target collection must let the caller create (modify_object, CAT_NO_ACCESS_PERMISSION) before a
 * clash with a collection is noticed (CAT_NAME_EXISTS_AS_COLLECTION), as upstream's
 * test_copy_operation_returns_an_error_when_destination_path_is_a_collection shows.
 */
export async function copyDataObject(zone: Zone, user: Principal, source: DataObject, dstLpath: string, overwrite: boolean): Promise<void> {
  const { catalog, vault } = zone;
  const target = normalizeLpath(dstLpath) ?? fail('USER_INPUT_PATH_ERR');
  if (target === source.path) fail('SAME_SRC_DEST_PATHS_ERR');
  if (!hasAccess(user, source, ACCESS.read_object)) fail('CAT_NO_ACCESS_PERMISSION');
  if (source.replicaStatus !== REPLICA_STATUS.good) fail('SYS_NO_GOOD_REPLICA');
  const existing = catalog.getDataObject(target);
  if (existing && !overwrite) fail('OVERWRITE_WITHOUT_FORCE_FLAG');
  let destination: DataObject;
  if (existing) {
    if (!hasAccess(user, existing, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
    if (zone.parallelWrites.isOpen(existing)) fail('LOCKED_DATA_OBJECT_ACCESS');
    destination = existing;
  } else {
    const collection: Collection | undefined = catalog.getCollection(parentOf(target));
    if (!collection) fail('CAT_UNKNOWN_COLLECTION');
    if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
    if (catalog.getCollection(target)) fail('CAT_NAME_EXISTS_AS_COLLECTION');
    destination = catalog.createDataObject(collection, nameOf(target), user);
  }
  await vault.copy(source.physicalPath, destination.physicalPath);
  destination.size = source.size;
  destination.checksum = source.checksum;
  destination.replicaStatus = REPLICA_STATUS.good;
  destination.modifyTime = catalog.now();
  catalog.touch();
}

export interface TouchOptions {
  readonly noCreate: boolean;
  readonly replicaNumber?: number | undefined;
  readonly leafResource?: string | undefined;
  readonly secondsSinceEpoch?: number | undefined;
  readonly reference?: string | undefined;
}

/**
 * rc_touch (irods/irods plugins/api/src/touch.cpp): creates an empty data object unless
 * no_create, else sets the replica's mtime (now, the given seconds, or the reference's mtime).
 */
export async function touchDataObject(zone: Zone, user: Principal, lpath: string, options: TouchOptions): Promise<void> {
  const { catalog } = zone;
  if (options.replicaNumber !== undefined && options.leafResource !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.reference !== undefined && options.secondsSinceEpoch !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  let mtime = options.secondsSinceEpoch ?? catalog.now();
  if (options.reference !== undefined) {
    const ref = statusOf(catalog, user, options.reference);
    if (ref.type === 'not_found') fail('OBJ_PATH_DOES_NOT_EXIST');
    mtime = ref.type === 'collection' ? ref.collection.modifyTime : ref.object.modifyTime;
  }
  const status = statusOf(catalog, user, lpath);
  if (status.type === 'not_found') {
    if (options.noCreate) return;
    if (options.replicaNumber !== undefined) fail('OBJ_PATH_DOES_NOT_EXIST', 'Replica numbers cannot be used when creating new data objects.');
    if (options.leafResource !== undefined && options.leafResource !== catalog.resource) fail('SYS_RESC_DOES_NOT_EXIST');
    const { object, mode } = openForWrite(zone, user, lpath, { truncate: true, append: false });
    await zone.vault.touch(object.physicalPath, mode);
    await finishWrite(zone, object, 0);
    object.modifyTime = mtime;
    return;
  }
  if (status.type !== 'data_object') fail('CAT_NOT_A_DATAOBJ_AND_NOT_A_COLLECTION');
  const object = status.object;
  if (options.replicaNumber !== undefined && options.replicaNumber !== object.replicaNumber) fail('SYS_REPLICA_DOES_NOT_EXIST');
  if (!hasAccess(user, object, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
  object.modifyTime = mtime;
  catalog.touch();
}

/** rs_replica_truncate: resizes the replica (modify_object, or the admin flag for a rodsadmin). */
export async function truncateDataObject(zone: Zone, user: Principal, lpath: string, size: number, admin: boolean): Promise<DataObject> {
  if (admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  const object = lookupForAccess(zone, user, lpath, admin && isAdmin(user) ? ACCESS.null : ACCESS.modify_object);
  if (size < 0) fail('SYS_INVALID_INPUT_PARAM');
  if (zone.parallelWrites.isOpen(object)) fail('LOCKED_DATA_OBJECT_ACCESS');
  await zone.vault.truncate(object.physicalPath, size);
  await finishWrite(zone, object);
  return object;
}

export interface RegisterOptions {
  readonly resource: string;
  readonly asAdditionalReplica: boolean;
  readonly dataSize?: string | undefined;
  readonly computeChecksum: boolean;
}

/**
 * rsPhyPathReg (irods/irods plugins/api/src/register_physical_path.cpp): the default policy
 * (`acSetChkFilePathPerm {msiSetChkFilePathPerm("disallowPathReg"); }`) lets only rodsadmins
 * register; the size is the given data-size, else the file's (a missing file is then
 * UNIX_FILE_STAT_ERR - errno); checksum=1 computes and records one. The replica is good.
 */
export async function registerDataObject(zone: Zone, user: Principal, lpath: string, ppath: string, options: RegisterOptions): Promise<void> {
  const { catalog, vault } = zone;
  if (!isAdmin(user)) fail('PATH_REG_NOT_ALLOWED');
  if (options.resource !== catalog.resource) fail('SYS_RESC_DOES_NOT_EXIST');
  if (options.asAdditionalReplica) fail('SYS_INVALID_INPUT_PARAM', 'the stand-in keeps a single replica per data object');
  if (!isAbsolute(ppath) || ppath.includes('/../') || ppath.endsWith('/..')) fail('SYS_INVALID_FILE_PATH');
  const path = normalizeLpath(lpath) ?? fail('USER_INPUT_PATH_ERR');
  const collection = catalog.getCollection(parentOf(path));
  if (!collection) fail('CAT_UNKNOWN_COLLECTION');
  if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
  if (catalog.getCollection(path)) fail('CAT_NAME_EXISTS_AS_COLLECTION');
  if (collection.dataObjects.has(nameOf(path))) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME');
  let size: number;
  if (options.dataSize !== undefined) {
    const parsed = Number.parseInt(options.dataSize, 10);
    size = Number.isFinite(parsed) ? parsed : 0;
  } else {
    try {
      const info = await stat(ppath);
      if (info.isDirectory()) fail('SYS_INVALID_INPUT_PARAM', 'registering directories (collections) is not supported by the stand-in');
      size = info.size;
    } catch (err) {
      if (err instanceof IrodsFailure) throw err;
      const errno = typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number' ? err.errno : 2;
      throw new IrodsFailure('UNIX_FILE_STAT_ERR', `cannot stat ${ppath}`, withErrno(IRODS_ERRORS.UNIX_FILE_STAT_ERR, errno));
    }
  }
  const checksum = options.computeChecksum ? await vault.checksum(ppath) : '';
  const rel = relative(vault.dir, ppath);
  const insideVault = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  const object = catalog.createDataObject(collection, nameOf(path), user, { path: ppath, inVault: insideVault });
  object.size = size;
  object.checksum = checksum;
  object.replicaStatus = REPLICA_STATUS.good;
  collection.modifyTime = catalog.now();
  catalog.touch();
}
