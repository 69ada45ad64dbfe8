import type { Collection, DataObject } from '../catalog.js';
import { fail } from '../errors.js';
import { isBelow, nameOf, normalizeLpath, parentOf } from '../paths.js';
import { ACCESS, canSee, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import { latestGoodReplica } from '../replica-placement.js';
import type { Zone } from '../zone.js';
import { deleteReplicaFiles, movePhysicalFiles, type MovedObject } from './physical-files.js';
import { statusOf, visibleDataObjectsIn, visibleSubcollections } from './object-status.js';
import { ensureTrashCollection, isInTrash, trashPathFor, withRandomSuffix } from './trash.js';

/**
 * Collection semantics as the HTTP API reaches them through the iRODS filesystem library
 * (irods/irods lib/filesystem/src/filesystem.cpp) and the server APIs behind it. Errors are
 * thrown as IrodsFailure with the code and message the library would put in its filesystem_error.
 */

/** fs::client::create_collection: the parent must exist (for the caller), an existing path is not an error. */
export function createCollection(zone: Zone, user: Principal, lpath: string): boolean {
  const { catalog } = zone;
  const path = normalizeLpath(lpath) ?? fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${lpath}`);
  const parentPath = parentOf(path);
  if (statusOf(catalog, user, parentPath).type === 'not_found') {
    fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${parentPath}`);
  }
  if (statusOf(catalog, user, path).type !== 'not_found') return false;
  registerCollection(zone, user, path);
  return true;
}

/**
 * rcCollCreate with RECURSIVE_OPR__KW → rsMkCollR: walk back to the deepest collection the
 * caller can see, then create forward; an element that exists unseen counts as created
 * (CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME is swallowed there). A caller who can see nothing up
 * to the zone ends at the zone collection, which cannot be created: SYS_INVALID_INPUT_PARAM, as
 * upstream's test_creating_a_collection_with_insufficient_permissions_results_in_an_error shows.
 */
export function createCollections(zone: Zone, user: Principal, lpath: string): boolean {
  const { catalog } = zone;
  const path = normalizeLpath(lpath) ?? fail('SYS_INVALID_INPUT_PARAM', `cannot create collection: ${lpath}`);
  if (statusOf(catalog, user, path).type !== 'not_found') return false;
  const parts = path.split('/').filter((p) => p !== '');
  let known = parts.length;
  while (known > 0 && statusOf(catalog, user, `/${parts.slice(0, known).join('/')}`).type !== 'collection') known -= 1;
  for (let i = known + 1; i <= parts.length; i += 1) {
    const current = `/${parts.slice(0, i).join('/')}`;
    if (i === 1) fail('SYS_INVALID_INPUT_PARAM', `cannot create collection: ${current}`);
    if (catalog.getCollection(current)) continue;
    registerCollection(zone, user, current);
  }
  return true;
}

/** rsCollCreate → chlRegColl: the parent must exist and the caller needs modify_object on it (admins too). */
function registerCollection(zone: Zone, user: Principal, path: string): Collection {
  const { catalog } = zone;
  const parent = catalog.getCollection(parentOf(path));
  if (!parent) fail('CAT_UNKNOWN_COLLECTION', `cannot create collection: ${path}`);
  if (parent.dataObjects.has(nameOf(path))) fail('CAT_NAME_EXISTS_AS_DATAOBJ', `cannot create collection: ${path}`);
  if (parent.collections.has(nameOf(path))) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `cannot create collection: ${path}`);
  if (!hasAccess(user, parent, ACCESS.modify_object)) fail('CAT_NO_ACCESS_PERMISSION', `cannot create collection: ${path}`);
  parent.modifyTime = catalog.now();
  return catalog.createCollection(parent, nameOf(path), user);
}

/**
 * Entries as fs::client::collection_iterator yields them (rclReadCollection: sub-collections,
 * then data objects, each ordered by name); the recursive iterator descends into a
 * sub-collection right after yielding it. Only what the caller can read is listed.
 */
export function listCollection(user: Principal, collection: Collection, recurse: boolean): string[] {
  const out: string[] = [];
  const walk = (c: Collection): void => {
    const subcollections = visibleSubcollections(user, c).sort(byPath);
    for (const child of subcollections) {
      out.push(child.path);
      if (recurse) walk(child);
    }
    for (const object of visibleDataObjectsIn(user, c).sort(byPath)) out.push(object.path);
  };
  walk(collection);
  return out;
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface RemoveOptions {
  readonly recurse: boolean;
  readonly noTrash: boolean;
}

/**
 * fs::client::remove / remove_all. A non-recursive remove of a collection that looks non-empty
 * to the caller throws SYS_COLLECTION_NOT_EMPTY. Otherwise the library returns a bool that the
 * HTTP API ignores, so a refused removal still answers status 0 (endpoints/collections op_remove):
 * this returns false in that case and changes nothing.
 */
export async function removeCollection(zone: Zone, user: Principal, collection: Collection, options: RemoveOptions): Promise<boolean> {
  const { catalog } = zone;
  if (!options.recurse && (visibleSubcollections(user, collection).length > 0 || visibleDataObjectsIn(user, collection).length > 0)) {
    fail('SYS_COLLECTION_NOT_EMPTY', `cannot remove non-empty collection: ${collection.path}`);
  }
  const parent = collection.parent;
  if (!parent || collection.path === `/${catalog.zone}` || collection.path === `/${catalog.zone}/home` || collection.path === `/${catalog.zone}/trash`) {
    return false;
  }
  if (!options.recurse && (collection.collections.size > 0 || collection.dataObjects.size > 0)) return false; // CAT_COLLECTION_NOT_EMPTY
  if (!hasAccess(user, parent, ACCESS.modify_object)) return false;
  // _delColl and the recursive unlinks need delete_object on everything removed. The real
  // server removes what it may and reports the first failure; the stand-in removes nothing
  // unless everything may go (see README, simplifications).
  for (const c of catalog.subtree(collection)) {
    if (!hasAccess(user, c, ACCESS.delete_object)) return false;
    for (const object of c.dataObjects.values()) if (!hasAccess(user, object, ACCESS.delete_object)) return false;
    for (const object of c.dataObjects.values()) if (zone.parallelWrites.isOpen(object)) return false;
  }
  parent.modifyTime = catalog.now();
  if (options.noTrash || isInTrash(catalog, collection.path)) {
    const removed = catalog.removeCollectionTree(collection);
    await deleteReplicas(zone, removed);
    return true;
  }
  let target = trashPathFor(catalog, user, collection.path);
  const targetParent = ensureTrashCollection(catalog, user, parentOf(target));
  while (targetParent.collections.has(nameOf(target)) || targetParent.dataObjects.has(nameOf(target))) {
    target = withRandomSuffix(target);
  }
  const moved = objectsBelow(zone, collection);
  catalog.moveCollection(collection, targetParent, nameOf(target));
  movePhysicalFiles(zone, moved);
  return true;
}

/** Physically removes the objects' vault replicas; registered files are only unregistered (rsDataObjUnlink). */
export async function deleteReplicas(zone: Zone, objects: readonly DataObject[]): Promise<void> {
  for (const object of objects) await deleteReplicaFiles(zone, object.replicas);
}

/** The objects below a collection with their current paths, before a move changes them. */
function objectsBelow(zone: Zone, collection: Collection): MovedObject[] {
  const out: MovedObject[] = [];
  for (const c of zone.catalog.subtree(collection)) for (const object of c.dataObjects.values()) out.push({ object, oldPath: object.path });
  return out;
}

/**
 * fs::client::rename for a collection: the target must not be inside the source; an existing
 * target must be a collection (then the server refuses with CAT_NAME_EXISTS_AS_COLLECTION);
 * the target's parent must be a collection the caller sees. The server needs own on the
 * collection and modify_object on the new parent (db_move_object_op / db_rename_object_op).
 */
export function renameCollection(zone: Zone, user: Principal, collection: Collection, newLpath: string): void {
  const { catalog } = zone;
  const target = normalizeLpath(newLpath) ?? fail('SYS_INVALID_INPUT_PARAM', `path does not exist: ${newLpath}`);
  if (target === collection.path) return;
  if (isBelow(target, collection.path)) {
    fail('SYS_INVALID_INPUT_PARAM', `old path cannot be an ancestor of the new path: ${collection.path}, ${target}`);
  }
  const name = nameOf(target);
  if (name === '.' || name === '..') fail('SYS_INVALID_INPUT_PARAM', `path cannot end with "." or "..": ${target}`);
  const existing = statusOf(catalog, user, target);
  if (existing.type === 'data_object') fail('INVALID_OBJECT_TYPE', `path is not a collection: ${target}`);
  const newParentStatus = statusOf(catalog, user, parentOf(target));
  if (existing.type === 'not_found' && newParentStatus.type !== 'collection') {
    fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${parentOf(target)}`);
  }
  const newParent = catalog.getCollection(parentOf(target));
  if (!newParent) fail('OBJ_PATH_DOES_NOT_EXIST', `path does not exist: ${parentOf(target)}`);
  if (!hasAccess(user, collection, ACCESS.own)) fail('CAT_NO_ACCESS_PERMISSION', `cannot rename object: ${collection.path}, ${target}`);
  if (newParent !== collection.parent && !hasAccess(user, newParent, ACCESS.modify_object)) {
    fail('CAT_NO_ACCESS_PERMISSION', `cannot rename object: ${collection.path}, ${target}`);
  }
  if (newParent.collections.has(name)) fail('CAT_NAME_EXISTS_AS_COLLECTION', `cannot rename object: ${collection.path}, ${target}`);
  if (newParent.dataObjects.has(name)) fail('CAT_NAME_EXISTS_AS_DATAOBJ', `cannot rename object: ${collection.path}, ${target}`);
  if (collection.parent) collection.parent.modifyTime = catalog.now();
  newParent.modifyTime = catalog.now();
  const moved = objectsBelow(zone, collection);
  catalog.moveCollection(collection, newParent, name);
  movePhysicalFiles(zone, moved);
}

/**
 * rsModAccessControl "inherit"/"noinherit" (db_mod_access_control_op): own, or admin mode for a
 * rodsadmin; anything else is CAT_NO_ACCESS_PERMISSION.
 */
export function setInheritance(zone: Zone, user: Principal, collection: Collection, enable: boolean, admin: boolean): void {
  if (admin && !isAdmin(user)) fail('CAT_NO_ACCESS_PERMISSION', 'You must be the admin to use the -M admin mode');
  if (!admin && !hasAccess(user, collection, ACCESS.own)) {
    fail('CAT_NO_ACCESS_PERMISSION', `either the collection does not exist or you do not have sufficient access: ${collection.path}`);
  }
  collection.inheritance = enable;
  zone.catalog.touch();
}

/** rc_touch on a collection: updates its mtime (the API always passes no_create). */
export function touchCollection(zone: Zone, user: Principal, collection: Collection, seconds: number | undefined, reference: string | undefined): void {
  const { catalog } = zone;
  let mtime = seconds ?? catalog.now();
  if (reference !== undefined) {
    const ref = statusOf(catalog, user, reference);
    if (ref.type === 'not_found') fail('OBJ_PATH_DOES_NOT_EXIST', `reference does not exist: ${reference}`);
    mtime = ref.type === 'collection' ? ref.collection.modifyTime : (latestGoodReplica(ref.object) ?? ref.object.replicas[0])?.modifyTime ?? mtime;
  }
  if (!canSee(user, collection) || !hasAccess(user, collection, isAdmin(user) ? ACCESS.null : ACCESS.modify_object)) {
    fail('CAT_NO_ACCESS_PERMISSION', `cannot set mtime: ${collection.path}`);
  }
  collection.modifyTime = mtime;
  catalog.touch();
}
