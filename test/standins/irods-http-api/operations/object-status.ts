import type { Catalog, Collection, DataObject } from '../catalog.js';
import { normalizeLpath } from '../paths.js';
import { canSee } from '../permissions.js';
import type { Principal } from '../principals.js';

export type ObjectStatus =
  | { readonly type: 'collection'; readonly collection: Collection }
  | { readonly type: 'data_object'; readonly object: DataObject }
  | { readonly type: 'not_found' };

const NOT_FOUND: ObjectStatus = { type: 'not_found' };

/**
 * What the caller's `fs::client::status` (rcObjStat) sees at `lpath`. rsObjStat looks for a data
 * object first (a GenQuery on COLL_NAME and DATA_NAME, so under STRICT the caller must be able
 * to read both the object and its collection), then a collection; what the caller cannot read
 * does not exist for it. rodsadmins see everything.
 */
export function statusOf(catalog: Catalog, user: Principal, lpath: string): ObjectStatus {
  const path = normalizeLpath(lpath);
  if (path === undefined) return NOT_FOUND;
  const object = catalog.getDataObject(path);
  if (object && canSee(user, object) && canSee(user, object.collection)) return { type: 'data_object', object };
  const collection = catalog.getCollection(path);
  if (collection && canSee(user, collection)) return { type: 'collection', collection };
  return NOT_FOUND;
}

export function visibleCollection(catalog: Catalog, user: Principal, lpath: string): Collection | undefined {
  const status = statusOf(catalog, user, lpath);
  return status.type === 'collection' ? status.collection : undefined;
}

export function visibleDataObject(catalog: Catalog, user: Principal, lpath: string): DataObject | undefined {
  const status = statusOf(catalog, user, lpath);
  return status.type === 'data_object' ? status.object : undefined;
}

/** Data objects of a collection the caller's GenQuery returns (object and collection readable). */
export function visibleDataObjectsIn(user: Principal, collection: Collection): DataObject[] {
  if (!canSee(user, collection)) return [];
  const out: DataObject[] = [];
  for (const object of collection.dataObjects.values()) if (canSee(user, object)) out.push(object);
  return out;
}

export function visibleSubcollections(user: Principal, collection: Collection): Collection[] {
  const out: Collection[] = [];
  for (const child of collection.collections.values()) if (canSee(user, child)) out.push(child);
  return out;
}
