import type { Avu } from '../avus.js';
import type { Collection, DataObject, Replica } from '../catalog.js';
import { accessName } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Resource } from '../resources.js';

/**
 * Which table (and join) a GenQuery1 column comes from. The executor picks the row kind from
 * the families a query uses: data objects, collections, users, the resource or the zone.
 */
export type ColumnFamily =
  | 'data'
  | 'data_acl'
  | 'meta_data'
  | 'coll'
  | 'coll_acl'
  | 'meta_coll'
  | 'user'
  | 'user_group'
  | 'meta_user'
  | 'resc'
  | 'meta_resc'
  | 'zone';

/** One result row before projection: the entities a row of the SQL join would carry. */
export interface RowContext {
  readonly zone: string;
  readonly zoneId: number;
  /** The resource of the row: a replica's storage resource, or the resource itself. */
  readonly resource?: Resource;
  /** The resource's hierarchy from its root (DATA_RESC_HIER). */
  readonly hierarchyOf: (resource: Resource) => string;
  readonly data?: DataObject;
  /** One row of R_DATA_MAIN: a data object is one row per replica. */
  readonly replica?: Replica;
  readonly coll?: Collection;
  readonly dataAvu?: Avu;
  readonly collAvu?: Avu;
  readonly userAvu?: Avu;
  readonly rescAvu?: Avu;
  readonly acl?: { readonly principal: Principal; readonly level: number };
  readonly user?: Principal;
  readonly group?: Principal;
  readonly avuId: (avu: Avu) => number;
}

export interface ColumnDef {
  readonly family: ColumnFamily;
  /** Compared as numbers by <, >, between and ordering (bigint columns in the catalog). */
  readonly numeric?: boolean;
  readonly value: (row: RowContext) => string;
  /** The column exists from this iRODS major version on (DATA_ACCESS_TIME: 5). */
  readonly since?: 5;
}

/** Catalog timestamps are 11-digit, zero-padded seconds (e.g. 01700000000). */
export function catalogTime(seconds: number): string {
  return String(seconds).padStart(11, '0');
}

const str = (v: string | number | undefined): string => (v === undefined ? '' : String(v));

function data(get: (d: DataObject) => string | number, numeric = false): ColumnDef {
  return { family: 'data', numeric, value: (r) => (r.data ? str(get(r.data)) : '') };
}

function replica(get: (p: Replica, r: RowContext) => string | number, numeric = false): ColumnDef {
  return { family: 'data', numeric, value: (r) => (r.replica ? str(get(r.replica, r)) : '') };
}

function resc(get: (p: Resource) => string | number, numeric = false): ColumnDef {
  return { family: 'resc', numeric, value: (r) => (r.resource ? str(get(r.resource)) : '') };
}

function coll(get: (c: Collection) => string | number, numeric = false): ColumnDef {
  return { family: 'coll', numeric, value: (r) => (r.coll ? str(get(r.coll)) : '') };
}

function aclColumn(family: 'data_acl' | 'coll_acl', get: (a: { principal: Principal; level: number }, r: RowContext) => string | number, numeric = false): ColumnDef {
  return { family, numeric, value: (r) => (r.acl ? str(get(r.acl, r)) : '') };
}

function meta(family: 'meta_data' | 'meta_coll' | 'meta_user' | 'meta_resc', pick: (r: RowContext) => Avu | undefined, get: (a: Avu, r: RowContext) => string | number, numeric = false): ColumnDef {
  return {
    family,
    numeric,
    value: (r) => {
      const avu = pick(r);
      return avu ? str(get(avu, r)) : '';
    },
  };
}

/** USER_* columns name the ACL's principal in a data/collection join, else the row's user. */
function user(get: (u: Principal) => string | number, numeric = false): ColumnDef {
  return {
    family: 'user',
    numeric,
    value: (r) => {
      const u = r.acl?.principal ?? r.user;
      return u ? str(get(u)) : '';
    },
  };
}

const owner = (d: DataObject): string => d.ownerName;

export const COLUMNS: ReadonlyMap<string, ColumnDef> = new Map<string, ColumnDef>([
  ['ZONE_ID', { family: 'zone', numeric: true, value: (r) => str(r.zoneId) }],
  ['ZONE_NAME', { family: 'zone', value: (r) => r.zone }],
  ['ZONE_TYPE', { family: 'zone', value: () => 'local' }],
  ['ZONE_CONNECTION', { family: 'zone', value: () => '' }],
  ['ZONE_COMMENT', { family: 'zone', value: () => '' }],

  ['USER_ID', user((u) => u.id, true)],
  ['USER_NAME', user((u) => u.name)],
  ['USER_TYPE', user((u) => u.type)],
  ['USER_ZONE', user((u) => u.zone)],
  ['USER_DN', user(() => '')],
  ['USER_INFO', user(() => '')],
  ['USER_COMMENT', user(() => '')],
  ['USER_CREATE_TIME', user((u) => catalogTime(u.createTime))],
  ['USER_MODIFY_TIME', user((u) => catalogTime(u.modifyTime))],
  ['USER_GROUP_ID', { family: 'user_group', numeric: true, value: (r) => str(r.group?.id) }],
  ['USER_GROUP_NAME', { family: 'user_group', value: (r) => str(r.group?.name) }],

  ['RESC_ID', resc((p) => p.id, true)],
  ['RESC_NAME', resc((p) => p.name)],
  ['RESC_ZONE_NAME', { family: 'resc', value: (r) => (r.resource ? r.zone : '') }],
  ['RESC_TYPE_NAME', resc((p) => p.type)],
  ['RESC_CLASS_NAME', resc(() => 'cache')],
  ['RESC_LOC', resc((p) => p.host)],
  ['RESC_VAULT_PATH', resc((p) => p.vaultPath)],
  ['RESC_FREE_SPACE', resc((p) => p.freeSpace)],
  ['RESC_FREE_SPACE_TIME', resc((p) => (p.freeSpaceTime ? catalogTime(p.freeSpaceTime) : ''))],
  ['RESC_INFO', resc((p) => p.information)],
  ['RESC_COMMENT', resc((p) => p.comments)],
  ['RESC_CREATE_TIME', resc((p) => catalogTime(p.createTime))],
  ['RESC_MODIFY_TIME', resc((p) => catalogTime(p.modifyTime))],
  ['RESC_MODIFY_TIME_MILLIS', resc((p) => p.modifyTimeMillis, true)],
  ['RESC_STATUS', resc((p) => p.status)],
  ['RESC_CHILDREN', resc(() => '')],
  ['RESC_CONTEXT', resc((p) => p.context)],
  ['RESC_PARENT', resc((p) => (p.parent ? String(p.parent.id) : ''))],
  ['RESC_PARENT_CONTEXT', resc((p) => p.parentContext)],

  ['DATA_ID', data((d) => d.id, true)],
  ['DATA_COLL_ID', data((d) => d.collection.id, true)],
  ['DATA_NAME', data((d) => d.name)],
  ['DATA_REPL_NUM', replica((p) => p.number, true)],
  ['DATA_VERSION', replica((p) => p.version)],
  ['DATA_TYPE_NAME', replica((p) => p.dataType)],
  ['DATA_SIZE', replica((p) => p.size, true)],
  ['DATA_MODE', replica((p) => p.mode)],
  // R_RESC_MAIN.resc_name joined on the replica's resc_id: the storage resource, not the root.
  ['DATA_RESC_NAME', replica((p) => p.resource.name)],
  ['DATA_RESC_HIER', replica((p, r) => r.hierarchyOf(p.resource))],
  ['DATA_RESC_ID', replica((p) => p.resource.id, true)],
  ['DATA_PATH', replica((p) => p.physicalPath)],
  ['DATA_OWNER_NAME', data(owner)],
  ['DATA_OWNER_ZONE', data((d) => d.ownerZone)],
  ['DATA_REPL_STATUS', replica((p) => p.status, true)],
  ['DATA_STATUS', replica((p) => p.dataStatus)],
  ['DATA_CHECKSUM', replica((p) => p.checksum)],
  ['DATA_EXPIRY', replica((p) => p.expiry)],
  ['DATA_MAP_ID', data(() => 0, true)],
  ['DATA_COMMENTS', replica((p) => p.comments)],
  ['DATA_CREATE_TIME', replica((p) => catalogTime(p.createTime))],
  ['DATA_MODIFY_TIME', replica((p) => catalogTime(p.modifyTime))],
  ['DATA_ACCESS_TIME', { ...replica((p) => catalogTime(p.accessTime)), since: 5 }],
  ['DATA_USER_NAME', aclColumn('data_acl', (a) => a.principal.name)],
  ['DATA_ZONE_NAME', aclColumn('data_acl', (a) => a.principal.zone)],
  ['DATA_ACCESS_TYPE', aclColumn('data_acl', (a) => a.level, true)],
  ['DATA_ACCESS_NAME', aclColumn('data_acl', (a) => accessName(a.level))],
  ['DATA_TOKEN_NAMESPACE', aclColumn('data_acl', () => 'access_type')],
  ['DATA_ACCESS_USER_ID', aclColumn('data_acl', (a) => a.principal.id, true)],
  ['DATA_ACCESS_DATA_ID', aclColumn('data_acl', (_a, r) => str(r.data?.id), true)],

  ['COLL_ID', coll((c) => c.id, true)],
  ['COLL_NAME', coll((c) => c.path)],
  ['COLL_PARENT_NAME', coll((c) => c.parent?.path ?? '/')],
  ['COLL_OWNER_NAME', coll((c) => c.ownerName)],
  ['COLL_OWNER_ZONE', coll((c) => c.ownerZone)],
  ['COLL_MAP_ID', coll(() => 0, true)],
  ['COLL_INHERITANCE', coll((c) => (c.inheritance ? '1' : ''))],
  ['COLL_COMMENTS', coll(() => '')],
  ['COLL_CREATE_TIME', coll((c) => catalogTime(c.createTime))],
  ['COLL_MODIFY_TIME', coll((c) => catalogTime(c.modifyTime))],
  ['COLL_TYPE', coll(() => '')],
  ['COLL_USER_NAME', aclColumn('coll_acl', (a) => a.principal.name)],
  ['COLL_ZONE_NAME', aclColumn('coll_acl', (a) => a.principal.zone)],
  ['COLL_ACCESS_TYPE', aclColumn('coll_acl', (a) => a.level, true)],
  ['COLL_ACCESS_NAME', aclColumn('coll_acl', (a) => accessName(a.level))],
  ['COLL_TOKEN_NAMESPACE', aclColumn('coll_acl', () => 'access_type')],
  ['COLL_ACCESS_USER_ID', aclColumn('coll_acl', (a) => a.principal.id, true)],
  ['COLL_ACCESS_COLL_ID', aclColumn('coll_acl', (_a, r) => str(r.coll?.id), true)],

  ['META_DATA_ATTR_NAME', meta('meta_data', (r) => r.dataAvu, (a) => a.attribute)],
  ['META_DATA_ATTR_VALUE', meta('meta_data', (r) => r.dataAvu, (a) => a.value)],
  ['META_DATA_ATTR_UNITS', meta('meta_data', (r) => r.dataAvu, (a) => a.units)],
  ['META_DATA_ATTR_ID', meta('meta_data', (r) => r.dataAvu, (a, r) => r.avuId(a), true)],
  ['META_COLL_ATTR_NAME', meta('meta_coll', (r) => r.collAvu, (a) => a.attribute)],
  ['META_COLL_ATTR_VALUE', meta('meta_coll', (r) => r.collAvu, (a) => a.value)],
  ['META_COLL_ATTR_UNITS', meta('meta_coll', (r) => r.collAvu, (a) => a.units)],
  ['META_COLL_ATTR_ID', meta('meta_coll', (r) => r.collAvu, (a, r) => r.avuId(a), true)],
  ['META_USER_ATTR_NAME', meta('meta_user', (r) => r.userAvu, (a) => a.attribute)],
  ['META_USER_ATTR_VALUE', meta('meta_user', (r) => r.userAvu, (a) => a.value)],
  ['META_USER_ATTR_UNITS', meta('meta_user', (r) => r.userAvu, (a) => a.units)],
  ['META_USER_ATTR_ID', meta('meta_user', (r) => r.userAvu, (a, r) => r.avuId(a), true)],
  ['META_RESC_ATTR_NAME', meta('meta_resc', (r) => r.rescAvu, (a) => a.attribute)],
  ['META_RESC_ATTR_VALUE', meta('meta_resc', (r) => r.rescAvu, (a) => a.value)],
  ['META_RESC_ATTR_UNITS', meta('meta_resc', (r) => r.rescAvu, (a) => a.units)],
  ['META_RESC_ATTR_ID', meta('meta_resc', (r) => r.rescAvu, (a, r) => r.avuId(a), true)],
]);
