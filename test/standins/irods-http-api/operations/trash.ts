import { randomInt } from 'node:crypto';
import type { Catalog, Collection } from '../catalog.js';
import { isBelow } from '../paths.js';
import type { Principal } from '../principals.js';

/**
 * Where a removed object goes (irods/irods server/api/src/rsRmColl.cpp rsMkTrashPath):
 * /zone/trash/home/<caller>/ + the path below /zone/, with the caller's own "home/<caller>/"
 * prefix dropped. So /tempZone/home/alice/a/b lands in /tempZone/trash/home/alice/a/b and
 * /tempZone/home/bob/x removed by alice in /tempZone/trash/home/alice/home/bob/x.
 */
export function trashPathFor(catalog: Catalog, user: Principal, lpath: string): string {
  const zonePrefix = `/${catalog.zone}/`;
  let rest = lpath.startsWith(zonePrefix) ? lpath.slice(zonePrefix.length) : lpath.slice(1);
  const ownHome = `home/${user.name}/`;
  if (rest.startsWith(ownHome)) rest = rest.slice(ownHome.length);
  return `/${catalog.zone}/trash/home/${user.name}/${rest}`;
}

/** True for anything inside /zone/trash: removing it there deletes for good. */
export function isInTrash(catalog: Catalog, lpath: string): boolean {
  return isBelow(lpath, `/${catalog.zone}/trash`);
}

/**
 * Creates the missing collections above a trash path as the server does (rsMkCollR, run with
 * the caller's identity; the trash home itself exists for every user).
 */
export function ensureTrashCollection(catalog: Catalog, user: Principal, lpath: string): Collection {
  const parts = lpath.split('/').filter((p) => p !== '');
  let current = catalog.getCollection('/');
  if (!current) throw new Error('catalog has no root collection');
  for (const part of parts) {
    current = current.collections.get(part) ?? catalog.createCollection(current, part, user);
  }
  return current;
}

/** appendRandomToPath: a name clash in the trash gets a random numeric suffix. */
export function withRandomSuffix(lpath: string): string {
  return `${lpath}.${randomInt(1_000_000_000, 9_999_999_999)}`;
}
