import type { Avu } from '../avus.js';
import type { Catalog, CatalogObject, Collection, DataObject } from '../catalog.js';
import { fail } from '../errors.js';
import { isBelow } from '../paths.js';
import { canSee, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Resource } from '../resources.js';
import { COLUMNS, type ColumnDef, type ColumnFamily, type RowContext } from './columns.js';
import { parseGenQuery1, type Condition, type SelectItem } from './parser.js';

export interface GenQueryOptions {
  /** case-sensitive=0: the API upper-cases the whole query and compares upper-cased values. */
  readonly caseSensitive: boolean;
  /** distinct=0 keeps duplicate rows (NO_DISTINCT). */
  readonly distinct: boolean;
  /** The server's major version: columns added later are unknown before (DATA_ACCESS_TIME: 5). */
  readonly irodsMajor: number;
}

interface ResolvedCondition extends Condition {
  readonly def: ColumnDef;
  readonly test: (value: string) => boolean;
}

interface ResolvedSelect extends SelectItem {
  readonly def: ColumnDef;
}

type Primary = 'data' | 'coll' | 'user' | 'resc' | 'zone';

const AGGREGATES = new Set(['count', 'sum', 'min', 'max', 'avg']);

/**
 * Runs a GenQuery1 query against the catalog as `user` and returns every row, ordered as the
 * database plugin orders them (order()/order_desc() columns first, then COLL_NAME, DATA_NAME,
 * DATA_REPL_NUM when selected; see general_query.cpp setOrderBy), then by the remaining selected
 * columns so that paging with offset/count is stable. Rows are restricted to what the caller may
 * see under STRICT (a non-admin needs read_object on every data object and collection a row
 * touches). Paging happens in the caller.
 */
export function runGenQuery(catalog: Catalog, user: Principal, text: string, options: GenQueryOptions): string[][] {
  const parsed = parseGenQuery1(text);
  const select = parsed.select.map((item): ResolvedSelect => ({ ...item, def: columnDef(item.column, options.irodsMajor) }));
  const where = parsed.where.map((c): ResolvedCondition => resolveCondition(c, options));

  const families = new Set<ColumnFamily>([...select.map((s) => s.def.family), ...where.map((w) => w.def.family)]);
  const primary = primaryOf(families);
  const contexts = generateRows(catalog, user, primary, families, where, options.caseSensitive);

  const projected = aggregate(select, contexts);
  const rows = options.distinct ? distinctRows(projected) : projected;
  sortRows(rows, select);
  return rows;
}

function columnDef(name: string, irodsMajor: number): ColumnDef {
  const def = COLUMNS.get(name);
  if (!def || (def.since !== undefined && irodsMajor < def.since)) fail('NO_COLUMN_NAME_FOUND', `unknown column [${name}]`);
  return def;
}

function primaryOf(families: ReadonlySet<ColumnFamily>): Primary {
  if (families.has('data') || families.has('meta_data') || families.has('data_acl')) return 'data';
  if (families.has('coll') || families.has('meta_coll') || families.has('coll_acl')) return 'coll';
  if (families.has('user') || families.has('meta_user') || families.has('user_group')) return 'user';
  if (families.has('resc') || families.has('meta_resc')) return 'resc';
  return 'zone';
}

function resolveCondition(condition: Condition, options: GenQueryOptions): ResolvedCondition {
  const def = columnDef(condition.column, options.irodsMajor);
  return { ...condition, def, test: makeTest(condition, def, options.caseSensitive) };
}

function makeTest(condition: Condition, def: ColumnDef, caseSensitive: boolean): (value: string) => boolean {
  const norm = (v: string): string => (caseSensitive ? v : v.toUpperCase());
  const [first = '', second = ''] = condition.values;
  const compare = (a: string, b: string): number => {
    if (def.numeric && a !== '' && b !== '' && Number.isFinite(Number(a)) && Number.isFinite(Number(b))) return Number(a) - Number(b);
    return a < b ? -1 : a > b ? 1 : 0;
  };
  switch (condition.op) {
    case '=':
      return (v) => compare(norm(v), first) === 0;
    case '<>':
      return (v) => compare(norm(v), first) !== 0;
    case '<':
      return (v) => compare(norm(v), first) < 0;
    case '>':
      return (v) => compare(norm(v), first) > 0;
    case '<=':
      return (v) => compare(norm(v), first) <= 0;
    case '>=':
      return (v) => compare(norm(v), first) >= 0;
    case 'like': {
      const re = likeToRegExp(first);
      return (v) => re.test(norm(v));
    }
    case 'not like': {
      const re = likeToRegExp(first);
      return (v) => !re.test(norm(v));
    }
    case 'in':
      return (v) => condition.values.some((x) => compare(norm(v), x) === 0);
    case 'between':
      return (v) => compare(norm(v), first) >= 0 && compare(norm(v), second) <= 0;
    case 'begin_of':
      return (v) => first.startsWith(norm(v));
    case 'parent_of':
      return (v) => norm(v) === first || isBelow(first, norm(v));
  }
}

/** SQL LIKE: % any run, _ one character, everything else literal. */
export function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

// ---- row generation ---------------------------------------------------------------------------

function equalityValue(where: readonly ResolvedCondition[], column: string): string | undefined {
  return where.find((c) => c.column === column && c.op === '=')?.values[0];
}

function likePrefix(where: readonly ResolvedCondition[], column: string): string | undefined {
  const pattern = where.find((c) => c.column === column && c.op === 'like')?.values[0];
  if (pattern === undefined) return undefined;
  const wildcard = pattern.search(/[%_]/);
  return wildcard < 0 ? pattern : pattern.slice(0, wildcard);
}

/** Candidate collections for a query, narrowed by the indexes where a condition allows it. */
function candidateCollections(catalog: Catalog, where: readonly ResolvedCondition[], caseSensitive: boolean): Iterable<Collection> {
  if (caseSensitive) {
    const name = equalityValue(where, 'COLL_NAME');
    if (name !== undefined) {
      const c = catalog.getCollection(name);
      return c ? [c] : [];
    }
    const inList = where.find((c) => c.column === 'COLL_NAME' && c.op === 'in');
    if (inList) return inList.values.flatMap((v) => catalog.getCollection(v) ?? []);
    const parent = equalityValue(where, 'COLL_PARENT_NAME');
    if (parent !== undefined) {
      const c = catalog.getCollection(parent);
      return c ? [...c.collections.values()] : [];
    }
    const prefix = likePrefix(where, 'COLL_NAME');
    if (prefix !== undefined && prefix.length > 1) return catalog.collectionsWithPrefix(prefix);
  }
  return catalog.collections();
}

function* candidateDataObjects(catalog: Catalog, where: readonly ResolvedCondition[], caseSensitive: boolean): Generator<DataObject> {
  if (caseSensitive) {
    const id = equalityValue(where, 'DATA_ID') ?? equalityValue(where, 'DATA_ACCESS_DATA_ID');
    if (id !== undefined) {
      const object = catalog.byId(Number(id));
      if (object?.kind === 'data_object') yield object;
      return;
    }
    const attribute = equalityValue(where, 'META_DATA_ATTR_NAME');
    if (attribute !== undefined) {
      for (const object of catalog.objectsWithAttribute(attribute)) if (object.kind === 'data_object') yield object;
      return;
    }
  }
  for (const collection of candidateCollections(catalog, where, caseSensitive)) yield* collection.dataObjects.values();
}

function* candidateCollectionRows(catalog: Catalog, where: readonly ResolvedCondition[], caseSensitive: boolean): Generator<Collection> {
  if (caseSensitive) {
    const id = equalityValue(where, 'COLL_ID') ?? equalityValue(where, 'COLL_ACCESS_COLL_ID');
    if (id !== undefined) {
      const c: CatalogObject | undefined = catalog.byId(Number(id));
      if (c?.kind === 'collection') yield c;
      return;
    }
    const attribute = equalityValue(where, 'META_COLL_ATTR_NAME');
    if (attribute !== undefined) {
      for (const object of catalog.objectsWithAttribute(attribute)) if (object.kind === 'collection') yield object;
      return;
    }
  }
  yield* candidateCollections(catalog, where, caseSensitive);
}

function aclEntries(catalog: Catalog, target: CatalogObject): { principal: Principal; level: number }[] {
  const out: { principal: Principal; level: number }[] = [];
  for (const [id, level] of target.acl) {
    const principal = catalog.principals.byIdOrUndefined(id);
    if (principal) out.push({ principal, level });
  }
  return out;
}

function expand<T>(enabled: boolean, items: Iterable<T>): (T | undefined)[] {
  return enabled ? [...items] : [undefined];
}

function generateRows(
  catalog: Catalog,
  user: Principal,
  primary: Primary,
  families: ReadonlySet<ColumnFamily>,
  where: readonly ResolvedCondition[],
  caseSensitive: boolean,
): RowContext[] {
  const admin = isAdmin(user);
  const base = {
    zone: catalog.zone,
    zoneId: catalog.zoneId,
    hierarchyOf: (resource: Resource) => catalog.resources.hierarchyOf(resource),
    avuId: (avu: Avu) => catalog.avuId(avu),
  };
  const rows: RowContext[] = [];
  const keep = (row: RowContext): void => {
    if (where.every((c) => c.test(c.def.value(row)))) rows.push(row);
  };

  if (primary === 'data') {
    const usesColl = families.has('coll') || families.has('meta_coll');
    const withAcl = families.has('data_acl') || families.has('user');
    for (const data of candidateDataObjects(catalog, where, caseSensitive)) {
      // STRICT: the data object must be readable, and its collection too when the query joins it.
      if (!admin && (!canSee(user, data) || (usesColl && !canSee(user, data.collection)))) continue;
      // R_DATA_MAIN holds one row per replica.
      for (const replica of data.replicas) {
        for (const dataAvu of expand(families.has('meta_data'), data.avus.values())) {
          for (const collAvu of expand(families.has('meta_coll'), data.collection.avus.values())) {
            for (const acl of expand(withAcl, aclEntries(catalog, data))) {
              keep({ ...base, data, replica, resource: replica.resource, coll: data.collection, dataAvu, collAvu, acl });
            }
          }
        }
      }
    }
  } else if (primary === 'coll') {
    const withAcl = families.has('coll_acl') || families.has('user');
    for (const coll of candidateCollectionRows(catalog, where, caseSensitive)) {
      if (!admin && !canSee(user, coll)) continue;
      for (const collAvu of expand(families.has('meta_coll'), coll.avus.values())) {
        for (const acl of expand(withAcl, aclEntries(catalog, coll))) keep({ ...base, coll, collAvu, acl });
      }
    }
  } else if (primary === 'user') {
    const name = caseSensitive ? equalityValue(where, 'USER_NAME') : undefined;
    const principal = name !== undefined ? catalog.principals.find(name) : undefined;
    const candidates = name !== undefined ? (principal ? [principal] : []) : [...catalog.principals.all()];
    for (const u of candidates) {
      const groups = [u, ...[...u.groups].flatMap((id) => catalog.principals.byIdOrUndefined(id) ?? [])];
      for (const userAvu of expand(families.has('meta_user'), u.avus.values())) {
        for (const group of expand(families.has('user_group'), groups)) keep({ ...base, user: u, userAvu, group });
      }
    }
  } else if (primary === 'resc') {
    for (const resource of catalog.resources.all()) {
      for (const rescAvu of expand(families.has('meta_resc'), resource.avus.values())) keep({ ...base, resource, rescAvu });
    }
  } else {
    keep(base);
  }
  return rows;
}

// ---- projection ---------------------------------------------------------------------------------

function aggregate(select: readonly ResolvedSelect[], contexts: readonly RowContext[]): string[][] {
  const isAggregate = select.map((s) => AGGREGATES.has(s.fn));
  if (!isAggregate.some(Boolean)) return contexts.map((row) => select.map((s) => s.def.value(row)));

  // GROUP BY every plain column, as the SQL the plugin generates does.
  const groups = new Map<string, { key: string[]; members: RowContext[] }>();
  for (const row of contexts) {
    const key = select.map((s, i) => (isAggregate[i] ? '' : s.def.value(row)));
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) {
      group = { key, members: [] };
      groups.set(id, group);
    }
    group.members.push(row);
  }
  if (groups.size === 0 && isAggregate.every(Boolean)) groups.set('[]', { key: select.map(() => ''), members: [] });

  return [...groups.values()].map(({ key, members }) =>
    select.map((s, i) => {
      if (!isAggregate[i]) return key[i] ?? '';
      const values = members.map((m) => s.def.value(m));
      return applyAggregate(s, values);
    }),
  );
}

function applyAggregate(item: ResolvedSelect, values: string[]): string {
  if (item.fn === 'count') return String(values.length);
  if (values.length === 0) return '';
  const numbers = values.map(Number);
  switch (item.fn) {
    case 'sum':
      return String(numbers.reduce((a, b) => a + b, 0));
    case 'avg':
      return String(numbers.reduce((a, b) => a + b, 0) / numbers.length);
    case 'min':
      return item.def.numeric ? String(Math.min(...numbers)) : [...values].sort()[0] ?? '';
    case 'max':
      return item.def.numeric ? String(Math.max(...numbers)) : [...values].sort().at(-1) ?? '';
    default:
      return '';
  }
}

function distinctRows(rows: string[][]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const row of rows) {
    const key = JSON.stringify(row);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(row);
  }
  return out;
}

function sortRows(rows: string[][], select: readonly ResolvedSelect[]): void {
  const keys: { index: number; desc: boolean; numeric: boolean }[] = [];
  const add = (index: number, desc = false): void => {
    if (index >= 0 && !keys.some((k) => k.index === index)) keys.push({ index, desc, numeric: select[index]?.def.numeric ?? false });
  };
  select.forEach((s, i) => {
    if (s.fn === 'order') add(i);
    if (s.fn === 'order_desc') add(i, true);
  });
  for (const column of ['COLL_NAME', 'DATA_NAME', 'DATA_REPL_NUM']) add(select.findIndex((s) => s.column === column && s.fn === 'none'));
  select.forEach((_s, i) => add(i));
  rows.sort((a, b) => {
    for (const key of keys) {
      const x = a[key.index] ?? '';
      const y = b[key.index] ?? '';
      let c: number;
      if (key.numeric && x !== '' && y !== '') c = Number(x) - Number(y);
      else c = x < y ? -1 : x > y ? 1 : 0;
      if (c !== 0) return key.desc ? -c : c;
    }
    return 0;
  });
}
