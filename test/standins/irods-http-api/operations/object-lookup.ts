import type { DataObject } from '../catalog.js';
import { fail } from '../errors.js';
import { asObjPath } from '../limits.js';
import { normalizeLpath } from '../paths.js';
import { canSee, hasAccess, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';

/**
 * getDataObjInfo with an access level, as checksum, unlink and friends look an object up (the
 * lpath as the server gets it through DataObjInp.objPath): CAT_NO_ROWS_FOUND when it does not
 * exist for the caller, CAT_NO_ACCESS_PERMISSION when the caller's level is too low.
 */
export function lookupForAccess(zone: Zone, user: Principal, lpath: string, needed: number): DataObject {
  const path = normalizeLpath(asObjPath(lpath));
  const object = path === undefined ? undefined : zone.catalog.getDataObject(path);
  if (!object || (!isAdmin(user) && !(canSee(user, object) && canSee(user, object.collection)))) {
    fail('CAT_NO_ROWS_FOUND', `${lpath}`);
  }
  if (!hasAccess(user, object, needed)) fail('CAT_NO_ACCESS_PERMISSION', `${lpath}`);
  return object;
}
