import { REPLICA_STATUS, type DataObject, type Replica } from '../catalog.js';
import { IRODS_ERRORS, IrodsFailure, fail, withErrno } from '../errors.js';
import { asObjPath } from '../limits.js';
import { nameOf, normalizeLpath, parentOf } from '../paths.js';
import { ACCESS, canSee, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import {
  chooseReplica,
  hasReplicaUnder,
  physicalPathFor,
  replicationSiblings,
  rootResourceNamed,
  storageForCreate,
} from '../replica-placement.js';
import type { Resource } from '../resources.js';
import type { OpenMode } from '../vault.js';
import type { Zone } from '../zone.js';

/**
 * Opening and closing a replica for writing, as the HTTP API's writes reach it: dstream →
 * rx_replica_open / rx_replica_close → rsDataObjOpen (irods/irods server/api/src/rsDataObjOpen.cpp,
 * rs_replica_close.cpp). The open resolves which replica is written (or creates one), locks the
 * object's other replicas, and creates the file of a new replica; the close records size and
 * status, makes the other replicas stale, and lets a replication resource bring its other
 * children up to date before the client hears back.
 */

export interface OpenForWrite {
  /** truncate=1 (the default): O_CREAT|O_TRUNC. */
  readonly truncate: boolean;
  /** append=1: O_APPEND, every write at the end; creates, never truncates. */
  readonly append: boolean;
  /** A root resource the client named (`resource`): RESC_NAME_KW. */
  readonly resource?: string | undefined;
  /** A replica number the client named (`replica-number`), used only without `resource`. */
  readonly replicaNumber?: number | undefined;
}

/** A replica opened for writing and how its file must be opened by the writes (see Vault). */
export interface OpenedReplica {
  readonly object: DataObject;
  readonly replica: Replica;
  readonly mode: OpenMode;
}

/**
 * Opens (and when allowed creates) a replica for writing. The open flags follow dstream
 * (default_transport.hpp make_open_flags): truncate=0 without append is O_RDWR without O_CREAT,
 * so it only opens existing objects. With O_CREAT the operation is a create: an object with no
 * replica under the named (or default) root gets a new replica there, otherwise the existing
 * replicas vote (irods_resource_redirect.cpp resolve_resource_hierarchy). The lpath is what
 * the server receives through the objPath buffer (limits.ts asObjPath).
 */
export function openForWrite(zone: Zone, user: Principal, lpath: string, flags: OpenForWrite): OpenedReplica {
  const { catalog } = zone;
  const path = normalizeLpath(asObjPath(lpath)) ?? fail('OBJ_PATH_DOES_NOT_EXIST', `Could not open output stream to [${lpath}].`);
  const create = flags.truncate || flags.append;
  const mode: OpenMode = flags.append ? 'append' : flags.truncate ? 'truncate' : 'keep';
  const keyword = flags.resource !== undefined ? rootResourceNamed(catalog, flags.resource) : undefined;
  const requested = keyword === undefined ? flags.replicaNumber : undefined;
  if (catalog.getCollection(path)) fail('CAT_NAME_EXISTS_AS_COLLECTION', `Could not open output stream to [${path}].`);
  const existing = catalog.getDataObject(path);
  if (existing) {
    if (!isAdmin(user) && !(canSee(user, existing) && canSee(user, existing.collection))) {
      fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
    }
    if (!hasAccess(user, existing, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
    const root = keyword ?? defaultResource(zone);
    // A replica being written votes zero, so a second open of it finds no hierarchy
    // (HIERARCHY_ERROR, upstream's test_server_does_not_segfault_when_parallel_write_init_is_invoked_multiple_times...).
    const newReplica = create && requested === undefined && !hasReplicaUnder(catalog, existing, root);
    if (newReplica && existing.replicas.some((r) => r.status === REPLICA_STATUS.intermediate || r.lockedFrom !== undefined)) {
      fail('LOCKED_DATA_OBJECT_ACCESS', `Could not open output stream to [${path}].`);
    }
    const replica = newReplica ? createReplica(zone, existing, storageForCreate(catalog, root)) : chooseReplica(catalog, existing, 'write', { keyword, requested });
    lockForWrite(existing, replica);
    catalog.touch();
    return { object: existing, replica, mode };
  }
  // CREATE with a replica number is a WRITE to a replica that cannot exist (file_object_factory).
  if (requested !== undefined && requested >= 0) fail('SYS_REPLICA_DOES_NOT_EXIST', 'replica does not exist');
  if (!create) fail('OBJ_PATH_DOES_NOT_EXIST', `Could not open output stream to [${path}].`);
  const collection = catalog.getCollection(parentOf(path)) ?? fail('CAT_UNKNOWN_COLLECTION', `Could not open output stream to [${path}].`);
  if (!hasAccess(user, collection, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION', `Could not open output stream to [${path}].`);
  const storage = storageForCreate(catalog, keyword ?? defaultResource(zone));
  const object = catalog.createDataObject(collection, nameOf(path), user);
  return { object, replica: createReplica(zone, object, storage), mode };
}

/** The zone's default resource for creates (core.re acSetRescSchemeForCreate: msiSetDefaultResc). */
export function defaultResource(zone: Zone): Resource {
  return zone.catalog.resources.get(zone.settings.resource) ?? fail('SYS_RESC_DOES_NOT_EXIST', `default resource [${zone.settings.resource}] does not exist`);
}

/**
 * A new intermediate replica on `storage`, its file ready at its vault path (the first write, or
 * a touch when nothing is written, creates it: see Vault.prepareCreate). When the physical create
 * fails, the replica stays in the catalog, stale and empty, and the open fails with the file
 * system's error (rsDataObjOpen: unlock_and_publish(..., STALE_REPLICA)).
 */
export function createReplica(zone: Zone, object: DataObject, storage: Resource): Replica {
  const physicalPath = physicalPathFor(storage, object.path);
  const replica = zone.catalog.addReplica(object, storage, { path: physicalPath, inVault: true });
  try {
    zone.vault.prepareCreate(physicalPath);
  } catch (err) {
    replica.status = REPLICA_STATUS.stale;
    throw physicalCreateFailure(err, physicalPath);
  }
  return replica;
}

/** The iRODS code of a failed physical create: UNIX_FILE_CREATE_ERR or UNIX_FILE_MKDIR_ERR minus errno. */
export function physicalCreateFailure(err: unknown, physicalPath: string): IrodsFailure {
  const e = err as NodeJS.ErrnoException;
  const errno = Math.abs(e.errno ?? 5);
  const base = e.syscall === 'mkdir' ? IRODS_ERRORS.UNIX_FILE_MKDIR_ERR : IRODS_ERRORS.UNIX_FILE_CREATE_ERR;
  const name = e.syscall === 'mkdir' ? 'UNIX_FILE_MKDIR_ERR' : 'UNIX_FILE_CREATE_ERR';
  return new IrodsFailure(name, `create error for "${physicalPath}", errno = "${e.message}".`, withErrno(base, errno));
}

/** The written replica is intermediate; the others are write-locked until it closes (logical locking). */
function lockForWrite(object: DataObject, written: Replica): void {
  written.status = REPLICA_STATUS.intermediate;
  for (const replica of object.replicas) {
    if (replica === written || replica.lockedFrom !== undefined) continue;
    replica.lockedFrom = replica.status;
    replica.status = REPLICA_STATUS.writeLocked;
  }
}

/**
 * Closing the replica: its size (from the write, or the file), good status, new mtime, no
 * checksum (a modified replica's checksum is cleared rather than kept stale); the object's other
 * replicas are unlocked, the good ones now stale; a replication resource then copies the new
 * bytes to its other children (synchronous replication on close).
 */
export async function closeReplica(zone: Zone, opened: OpenedReplica, size?: number): Promise<void> {
  const { object, replica } = opened;
  replica.size = size ?? (await zone.vault.size(replica.physicalPath).catch(() => replica.size));
  replica.status = REPLICA_STATUS.good;
  replica.modifyTime = zone.catalog.now();
  replica.checksum = '';
  for (const other of object.replicas) {
    if (other === replica || other.lockedFrom === undefined) continue;
    other.status = other.lockedFrom === REPLICA_STATUS.good ? REPLICA_STATUS.stale : other.lockedFrom;
    other.lockedFrom = undefined;
  }
  for (const sibling of replicationSiblings(zone.catalog, replica.resource)) {
    await updateReplicaOn(zone, object, replica, sibling);
  }
  zone.catalog.touch();
}

/**
 * Copies a good replica's bytes to the object's replica on `target` (making it if missing):
 * the data movement of replication. The copy is good, with the source's size and checksum.
 */
export async function updateReplicaOn(zone: Zone, object: DataObject, source: Replica, target: Resource): Promise<Replica> {
  let replica = object.replicas.find((r) => r.resource === target);
  if (!replica) {
    const physicalPath = physicalPathFor(target, object.path);
    replica = zone.catalog.addReplica(object, target, { path: physicalPath, inVault: true });
  }
  try {
    await zone.vault.copy(source.physicalPath, replica.physicalPath);
  } catch (err) {
    replica.status = REPLICA_STATUS.stale;
    throw physicalCreateFailure(err, replica.physicalPath);
  }
  replica.size = source.size;
  replica.checksum = source.checksum;
  replica.status = REPLICA_STATUS.good;
  replica.modifyTime = zone.catalog.now();
  zone.catalog.touch();
  return replica;
}

/** The error code a write that could not open reports (INVALID_HANDLE unless dstream exposes the real one). */
export function writeOpenErrorCode(zone: Zone, err: IrodsFailure): number {
  return zone.settings.exposeWriteErrorCodes ? err.code : IRODS_ERRORS.INVALID_HANDLE;
}
