import { hostname } from 'node:os';
import { TokenStore } from './auth.js';
import { Catalog, type Collection } from './catalog.js';
import { ParallelWrites } from './parallel-writes.js';
import { ACCESS } from './permissions.js';
import type { Principal, UserType } from './principals.js';
import { Vault } from './vault.js';

/** The iRODS server versions the stand-in can claim (HTTP API 0.7.0 supports both). */
export type IrodsServerVersion = '4.3.5' | '5.0.2';

export interface ZoneSettings {
  readonly zone: string;
  /** The default resource (msiSetDefaultResc in core.re): a unixfilesystem resource on vaultDir. */
  readonly resource: string;
  readonly vaultDir: string;
  /** The server version reported by /info and the zone report, and that decides modify_replica's access time. */
  readonly irodsVersion: IrodsServerVersion;
  readonly tokenTtlSeconds: number;
  readonly maxRowsPerQuery: number;
  readonly maxBodyBytes: number;
  readonly maxParallelStreams: number;
  readonly maxStreamsPerHandle: number;
  /**
   * Writes that cannot open their replica answer INVALID_HANDLE unless the API was built
   * against iRODS 5.1+ (dstream exposes the real code; CHANGELOG 0.7.0). The released 0.7.0
   * packages are built against 5.0.x, hence false by default.
   */
  readonly exposeWriteErrorCodes: boolean;
}

export interface InitialUser {
  readonly name: string;
  readonly password: string;
  readonly type?: UserType;
}

/** Everything one running stand-in holds: catalog, bytes, sessions and open parallel writes. */
export interface Zone {
  readonly settings: ZoneSettings;
  readonly catalog: Catalog;
  readonly vault: Vault;
  readonly tokens: TokenStore;
  readonly parallelWrites: ParallelWrites;
}

export async function createZone(settings: ZoneSettings, users: readonly InitialUser[]): Promise<Zone> {
  const vault = new Vault();
  await vault.init(settings.vaultDir);
  const catalog = new Catalog({ zone: settings.zone });
  catalog.resources.add({ name: settings.resource, type: 'unixfilesystem', host: hostname(), vaultPath: settings.vaultDir });
  bootstrapZone(catalog, users);
  return {
    settings,
    catalog,
    vault,
    tokens: new TokenStore(settings.tokenTtlSeconds * 1000),
    parallelWrites: new ParallelWrites(settings.maxParallelStreams, settings.maxStreamsPerHandle),
  };
}

/**
 * A fresh zone as `setup_irods.py` leaves it (irods/irods scripts/irods/database_connect.py):
 * group public, rodsadmin rods in public, collections /, /zone, /zone/home, /zone/trash,
 * /zone/trash/home owned by rods; /zone/home/public and /zone/trash/home/public owned by the
 * public group; /zone/home/rods and /zone/trash/home/rods owned by rods. Then the extra users,
 * created as `create_user` would (home and trash collections, membership of public).
 */
export function bootstrapZone(catalog: Catalog, users: readonly InitialUser[]): void {
  const zone = catalog.zone;
  const publicGroup = catalog.createPrincipal('public', 'rodsgroup');
  const adminSpec = users.find((u) => u.name === 'rods');
  const rods = catalog.createPrincipal('rods', 'rodsadmin', adminSpec?.password ?? 'rods');
  catalog.principals.addMember(publicGroup, rods);

  const root = catalog.createCollection(undefined, '', rods);
  const zoneColl = catalog.createCollection(root, zone, rods);
  const home = catalog.createCollection(zoneColl, 'home', rods);
  const trash = catalog.createCollection(zoneColl, 'trash', rods);
  const trashHome = catalog.createCollection(trash, 'home', rods);
  for (const parent of [home, trashHome]) {
    const publicColl = catalog.createCollection(parent, 'public', rods);
    publicColl.acl.clear();
    publicColl.acl.set(publicGroup.id, ACCESS.own);
    catalog.createCollection(parent, 'rods', rods);
  }

  for (const spec of users) {
    if (spec.name === 'rods') continue;
    const user = catalog.createPrincipal(spec.name, spec.type ?? 'rodsuser', spec.password);
    provisionUser(catalog, user, rods);
  }
}

/**
 * What `iadmin mkuser` does beside the R_USER_MAIN row: membership of public and the user's
 * home and trash collections, owned by the user alone (rsGeneralAdmin → chlRegUserRE).
 */
export function provisionUser(catalog: Catalog, user: Principal, admin: Principal): void {
  const publicGroup = catalog.principals.findGroup('public');
  if (publicGroup) catalog.principals.addMember(publicGroup, user);
  for (const parentPath of [`/${catalog.zone}/home`, `/${catalog.zone}/trash/home`]) {
    const parent = catalog.getCollection(parentPath);
    if (!parent || parent.collections.has(user.name)) continue;
    const home: Collection = catalog.createCollection(parent, user.name, admin);
    home.acl.clear();
    home.acl.set(user.id, ACCESS.own);
    home.ownerName = user.name;
  }
}
