import type { Avu } from '../avus.js';
import type { Collection, DataObject } from '../catalog.js';
import { accessName } from '../permissions.js';
import type { Principal } from '../principals.js';

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
  | 'zone';

/** One result row before projection: the entities a row of the SQL join would carry. */
export interface RowContext {
  readonly zone: string;
  readonly zoneId: number;
  readonly resource: { readonly id: number; readonly name: string; readonly vaultPath: string };
  readonly data?: DataObject;
  readonly coll?: Collection;
  readonly dataAvu?: Avu;
  readonly collAvu?: Avu;
  readonly userAvu?: Avu;
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
}

/** Catalog timestamps are 11-digit, zero-padded seconds (e.g. 01700000000). */
export function catalogTime(seconds: number): string {
  return String(seconds).padStart(11, '0');
}

const str = (v: string | number | undefined): string => (v === undefined ? '' : String(v));

function data(get: (d: DataObject) => string | number, numeric = false): ColumnDef {
  return { family: 'data', numeric, value: (r) => (r.data ? str(get(r.data)) : '') };
}

function coll(get: (c: Collection) => string | number, numeric = false): ColumnDef {
  return { family: 'coll', numeric, value: (r) => (r.coll ? str(get(r.coll)) : '') };
}

function aclColumn(family: 'data_acl' | 'coll_acl', get: (a: { principal: Principal; level: number }, r: RowContext) => string | number, numeric = false): ColumnDef {
  return { family, numeric, value: (r) => (r.acl ? str(get(r.acl, r)) : '') };
}

function meta(family: 'meta_data' | 'meta_coll' | 'meta_user', pick: (r: RowContext) => Avu | undefined, get: (a: Avu, r: RowContext) => string | number, numeric = false): ColumnDef {
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

  ['RESC_ID', { family: 'resc', numeric: true, value: (r) => str(r.resource.id) }],
  ['RESC_NAME', { family: 'resc', value: (r) => r.resource.name }],
  ['RESC_ZONE_NAME', { family: 'resc', value: (r) => r.zone }],
  ['RESC_TYPE_NAME', { family: 'resc', value: () => 'unixfilesystem' }],
  ['RESC_LOC', { family: 'resc', value: () => 'localhost' }],
  ['RESC_VAULT_PATH', { family: 'resc', value: (r) => r.resource.vaultPath }],

  ['DATA_ID', data((d) => d.id, true)],
  ['DATA_COLL_ID', data((d) => d.collection.id, true)],
  ['DATA_NAME', data((d) => d.name)],
  ['DATA_REPL_NUM', data((d) => d.replicaNumber, true)],
  ['DATA_VERSION', data(() => '')],
  ['DATA_TYPE_NAME', data((d) => d.dataType)],
  ['DATA_SIZE', data((d) => d.size, true)],
  ['DATA_MODE', data(() => '0')],
  ['DATA_RESC_NAME', data((d) => d.resource)],
  ['DATA_RESC_HIER', data((d) => d.resource)],
  ['DATA_RESC_ID', { family: 'data', numeric: true, value: (r) => (r.data ? str(r.resource.id) : '') }],
  ['DATA_PATH', data((d) => d.physicalPath)],
  ['DATA_OWNER_NAME', data(owner)],
  ['DATA_OWNER_ZONE', data((d) => d.ownerZone)],
  ['DATA_REPL_STATUS', data((d) => d.replicaStatus, true)],
  ['DATA_STATUS', data(() => '')],
  ['DATA_CHECKSUM', data((d) => d.checksum)],
  ['DATA_EXPIRY', data(() => '00000000000')],
  ['DATA_MAP_ID', data(() => 0, true)],
  ['DATA_COMMENTS', data(() => '')],
  ['DATA_CREATE_TIME', data((d) => catalogTime(d.createTime))],
  ['DATA_MODIFY_TIME', data((d) => catalogTime(d.modifyTime))],
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
]);
