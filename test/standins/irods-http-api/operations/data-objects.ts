import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { REPLICA_STATUS, type Collection, type DataObject, type Replica } from '../catalog.js';
import { IRODS_ERRORS, IrodsFailure, fail, withErrno } from '../errors.js';
import { asObjPath } from '../limits.js';
import { nameOf, normalizeLpath, parentOf } from '../paths.js';
import { ACCESS, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import { chooseReplica, isInsideAVault, latestGoodReplica, rootResourceNamed, storageForCreate } from '../replica-placement.js';
import type { Zone } from '../zone.js';
import { lookupForAccess } from './object-lookup.js';
import { statusOf } from './object-status.js';
import { deleteReplicaFiles, movePhysicalFiles } from './physical-files.js';
import { closeReplica, openForWrite } from './replica-writes.js';
import { ensureTrashCollection, isInTrash, trashPathFor, withRandomSuffix } from './trash.js';

/**
 * Data object semantics of the iRODS server APIs the HTTP API calls (rsDataObjUnlink,
 * rsDataObjRename, rsDataObjCopy, rsPhyPathReg, rs_touch). Writes live in replica-writes.ts,
 * checksums in checksums.ts, replicate/trim/truncate in replicas.ts. Permission checks are the
 * catalog's: rodsadmins need ACLs for data access too; only the admin flag (ADMIN_KW) of a few
 * operations lifts that.
 */


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
  const { catalog } = zone;
  const object = lookupForAccess(zone, user, lpath, ACCESS.modify_object);
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
  if (zone.parallelWrites.isOpen(object)) fail('LOCKED_DATA_OBJECT_ACCESS');
  const mayDelete = (options.admin && isAdmin(user)) || hasAccess(user, object, ACCESS.delete_object);
  if (!mayDelete) fail('CAT_NO_ACCESS_PERMISSION');
  if (options.catalogOnly) {
    if (!isAdmin(user) && object.replicas.some((r) => r.inVault)) fail('CANT_UNREG_IN_VAULT_FILE');
    catalog.removeDataObject(object);
    return;
  }
  if (options.noTrash || isInTrash(catalog, object.path)) {
    catalog.removeDataObject(object);
    await deleteReplicaFiles(zone, object.replicas);
    return;
  }
  let target = trashPathFor(catalog, user, object.path);
  const trashCollection = ensureTrashCollection(catalog, user, parentOf(target));
  while (trashCollection.dataObjects.has(nameOf(target)) || trashCollection.collections.has(nameOf(target))) {
    target = withRandomSuffix(target);
  }
  const oldPath = object.path;
  catalog.moveDataObject(object, trashCollection, nameOf(target));
  movePhysicalFiles(zone, [{ object, oldPath }]);
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
  const oldPath = object.path;
  catalog.moveDataObject(object, destination, name);
  movePhysicalFiles(zone, [{ object, oldPath }]);
}

export interface CopyOptions {
  readonly overwrite: boolean;
  /** src-resource: the root whose replica is read. */
  readonly sourceResource?: string | undefined;
  /** dst-resource: the root the copy is created on (default: the zone's default resource). */
  readonly destinationResource?: string | undefined;
}

/**
 * rsDataObjCopy: the resources named must exist (SYS_RESC_DOES_NOT_EXIST); an existing target
 * without overwrite is OVERWRITE_WITHOUT_FORCE_FLAG; then the target collection must let the
 * caller create (modify_object, CAT_NO_ACCESS_PERMISSION) before a clash with a collection is
 * noticed (CAT_NAME_EXISTS_AS_COLLECTION), as upstream's
 * test_copy_operation_returns_an_error_when_destination_path_is_a_collection shows. The source
 * replica is the one an open for reading gets; the copy is written like any write (COPY_DEST).
 */
export async function copyDataObject(zone: Zone, user: Principal, source: DataObject, dstLpath: string, options: CopyOptions): Promise<void> {
  const { catalog, vault } = zone;
  const sourceKeyword = options.sourceResource !== undefined ? rootResourceNamed(catalog, options.sourceResource) : undefined;
  if (options.destinationResource !== undefined) rootResourceNamed(catalog, options.destinationResource);
  const target = normalizeLpath(dstLpath) ?? fail('USER_INPUT_PATH_ERR');
  if (target === source.path) fail('SAME_SRC_DEST_PATHS_ERR');
  if (!hasAccess(user, source, ACCESS.read_object)) fail('CAT_NO_ACCESS_PERMISSION');
  const from = chooseReplica(catalog, source, 'open', { keyword: sourceKeyword });
  const existing = catalog.getDataObject(target);
  if (existing && !options.overwrite) fail('OVERWRITE_WITHOUT_FORCE_FLAG');
  if (!existing) {
    const collection: Collection | undefined = catalog.getCollection(parentOf(target));
    if (!collection) fail('CAT_UNKNOWN_COLLECTION');
    if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
    if (catalog.getCollection(target)) fail('CAT_NAME_EXISTS_AS_COLLECTION');
  }
  const opened = openForWrite(zone, user, target, { truncate: true, append: false, resource: options.destinationResource });
  try {
    await vault.copy(from.physicalPath, opened.replica.physicalPath);
  } finally {
    await closeReplica(zone, opened);
  }
  opened.replica.checksum = from.checksum;
}

export interface TouchOptions {
  readonly noCreate: boolean;
  readonly replicaNumber?: number | undefined;
  readonly leafResource?: string | undefined;
  readonly secondsSinceEpoch?: number | undefined;
  readonly reference?: string | undefined;
}

/** The mtime a reference path lends (a collection's, or a data object's latest good replica's). */
function referenceTime(zone: Zone, user: Principal, reference: string): number {
  const ref = statusOf(zone.catalog, user, reference);
  if (ref.type === 'not_found') fail('OBJ_PATH_DOES_NOT_EXIST');
  if (ref.type === 'collection') return ref.collection.modifyTime;
  return (latestGoodReplica(ref.object) ?? ref.object.replicas[0])?.modifyTime ?? zone.catalog.now();
}

/**
 * rc_touch (irods/irods plugins/api/src/touch.cpp): creates an empty data object unless
 * no_create (on the leaf resource given, else the default resource), else sets one replica's
 * mtime: the numbered one, the one on the leaf resource, or the latest good one.
 */
export async function touchDataObject(zone: Zone, user: Principal, lpath: string, options: TouchOptions): Promise<void> {
  const { catalog } = zone;
  if (options.replicaNumber !== undefined && options.leafResource !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.reference !== undefined && options.secondsSinceEpoch !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.replicaNumber !== undefined && options.replicaNumber < 0) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', '[replica_number] cannot be less than zero.');
  const mtime = options.reference !== undefined ? referenceTime(zone, user, options.reference) : (options.secondsSinceEpoch ?? catalog.now());
  const status = statusOf(catalog, user, lpath);
  if (status.type === 'not_found') {
    if (options.noCreate) return;
    if (options.replicaNumber !== undefined) fail('OBJ_PATH_DOES_NOT_EXIST', 'Replica numbers cannot be used when creating new data objects.');
    let root: string | undefined;
    if (options.leafResource !== undefined) {
      const leaf = catalog.resources.get(options.leafResource) ?? fail('SYS_RESC_DOES_NOT_EXIST');
      if (leaf.children.length > 0) fail('USER_INVALID_RESC_INPUT', `[${leaf.name}] is not a leaf resource.`);
      root = catalog.resources.rootOf(leaf).name;
    }
    const opened = openForWrite(zone, user, lpath, { truncate: true, append: false, resource: root });
    await zone.vault.touch(opened.replica.physicalPath, opened.mode);
    await closeReplica(zone, opened, 0);
    opened.replica.modifyTime = mtime;
    return;
  }
  if (status.type !== 'data_object') fail('CAT_NOT_A_DATAOBJ_AND_NOT_A_COLLECTION');
  const object = status.object;
  let replica: Replica | undefined;
  if (options.replicaNumber !== undefined) {
    replica = object.replicas.find((r) => r.number === options.replicaNumber) ?? fail('SYS_REPLICA_DOES_NOT_EXIST', 'Replica does not exist matching that replica number.');
  } else if (options.leafResource !== undefined) {
    replica = object.replicas.find((r) => r.resource.name === options.leafResource) ?? fail('SYS_REPLICA_DOES_NOT_EXIST', 'Replica does not exist in resource.');
  } else {
    replica = latestGoodReplica(object) ?? fail('SYS_NO_GOOD_REPLICA', 'No good replicas found.');
  }
  if (!hasAccess(user, object, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
  replica.modifyTime = mtime;
  catalog.touch();
}

export interface RegisterOptions {
  readonly resource: string;
  readonly asAdditionalReplica: boolean;
  readonly dataSize?: string | undefined;
  readonly computeChecksum: boolean;
}

/** The size registration records: data-size when given, else the file's (UNIX_FILE_STAT_ERR - errno). */
async function registeredSize(ppath: string, dataSize: string | undefined): Promise<number> {
  if (dataSize !== undefined) {
    const parsed = Number.parseInt(dataSize, 10);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  try {
    const info = await stat(ppath);
    if (info.isDirectory()) fail('SYS_INVALID_INPUT_PARAM', 'registering directories (collections) is not supported by the stand-in');
    return info.size;
  } catch (err) {
    if (err instanceof IrodsFailure) throw err;
    const errno = typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number' ? err.errno : 2;
    throw new IrodsFailure('UNIX_FILE_STAT_ERR', `cannot stat ${ppath}`, withErrno(IRODS_ERRORS.UNIX_FILE_STAT_ERR, errno));
  }
}

/**
 * rsPhyPathReg (irods/irods plugins/api/src/register_physical_path.cpp): the default policy
 * (`acSetChkFilePathPerm {msiSetChkFilePathPerm("disallowPathReg"); }`) lets only rodsadmins
 * register; the size is the given data-size, else the file's; checksum=1 computes and records
 * one. The replica is good, on the storage resource the named root resolves to. As an
 * additional replica of an existing object it is the newest one: the others become stale, as
 * upstream's test_registering_an_additional_replica_for_an_existing_data_object shows.
 */
export async function registerDataObject(zone: Zone, user: Principal, lpath: string, ppath: string, options: RegisterOptions): Promise<void> {
  const { catalog, vault } = zone;
  if (!isAdmin(user)) fail('PATH_REG_NOT_ALLOWED');
  const storage = storageForCreate(catalog, rootResourceNamed(catalog, options.resource));
  if (!isAbsolute(ppath) || ppath.includes('/../') || ppath.endsWith('/..')) fail('SYS_INVALID_FILE_PATH');
  const path = normalizeLpath(asObjPath(lpath)) ?? fail('USER_INPUT_PATH_ERR');
  const collection = catalog.getCollection(parentOf(path));
  if (!collection) fail('CAT_UNKNOWN_COLLECTION');
  if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION');
  if (catalog.getCollection(path)) fail('CAT_NAME_EXISTS_AS_COLLECTION');
  const existing = collection.dataObjects.get(nameOf(path));
  if (existing && !options.asAdditionalReplica) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME');
  if (!existing && options.asAdditionalReplica) fail('CAT_NO_ROWS_FOUND', `no data object at [${path}] to register a replica of`);
  if (existing?.replicas.some((r) => r.resource === storage)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `[${path}] already has a replica on [${storage.name}]`);
  const size = await registeredSize(ppath, options.dataSize);
  const checksum = options.computeChecksum ? await vault.checksum(ppath) : '';
  const object = existing ?? catalog.createDataObject(collection, nameOf(path), user);
  for (const other of object.replicas) if (other.status === REPLICA_STATUS.good) other.status = REPLICA_STATUS.stale;
  const replica = catalog.addReplica(object, storage, { path: ppath, inVault: isInsideAVault(catalog, ppath) }, REPLICA_STATUS.good);
  replica.size = size;
  replica.checksum = checksum;
  collection.modifyTime = catalog.now();
  catalog.touch();
}
