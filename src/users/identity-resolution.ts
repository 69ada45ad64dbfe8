import { entityName, isIrodsName, type IrodsEntity } from './irods-name.js';
import { formatIssuePath, type IrodsUserRef, type UserMap } from './user-map.js';

/**
 * OMERO user/group → iRODS user/group, in this order: an explicit entry in the mapping file
 * (exact name, then ignoring case when `ignore_case` is on), which may be `null` (never grant);
 * then `same_name`, only when iRODS confirmed the name exists with the right type; else no match.
 */

/** Local-zone names the caller confirmed in iRODS (see lookupSameNames): users and groups. */
export interface KnownIrodsNames {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

export type Resolution =
  | {
      readonly outcome: 'mapped';
      readonly entity: IrodsEntity;
      readonly via: 'users' | 'groups' | 'same_name';
      /** The place in the mapping file that decided it (`users.alice`, `same_name`). */
      readonly rule: string;
    }
  | { readonly outcome: 'never'; readonly rule: string }
  | { readonly outcome: 'unmatched'; readonly reason: string };

/**
 * Names same_name never maps to, whatever iRODS says: OMERO's built-in accounts and groups have
 * no personal owner, and iRODS' `public` group (every user), `rodsadmin` group and `anonymous`
 * user would hand the data to everybody. An explicit entry can still name them.
 */
const SAME_NAME_SKIP_OMERO = { user: new Set(['root', 'guest']), group: new Set(['system', 'user', 'guest']) };
const SAME_NAME_SKIP_IRODS = { user: new Set(['anonymous']), group: new Set(['public', 'rodsadmin']) };

function explicitEntry<V>(
  record: Readonly<Record<string, V>>,
  name: string,
  ignoreCase: boolean,
): { key: string; value: V } | undefined {
  if (Object.hasOwn(record, name)) return { key: name, value: record[name] as V };
  if (!ignoreCase) return undefined;
  const folded = name.toLowerCase();
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === folded) return { key, value: record[key] as V };
  }
  return undefined;
}

/** The iRODS name same_name would try for an OMERO name, or undefined when it would not try. */
export function sameNameCandidate(map: UserMap, kind: 'user' | 'group', omeroName: string): string | undefined {
  if (!(kind === 'user' ? map.sameName.users : map.sameName.groups)) return undefined;
  if (SAME_NAME_SKIP_OMERO[kind].has(omeroName)) return undefined;
  const section: Readonly<Record<string, unknown>> = kind === 'user' ? map.users : map.groups;
  if (explicitEntry(section, omeroName, map.ignoreCase)) return undefined;
  const candidate = map.sameName.lowercase ? omeroName.toLowerCase() : omeroName;
  if (!isIrodsName(candidate) || SAME_NAME_SKIP_IRODS[kind].has(candidate)) return undefined;
  return candidate;
}

/** An explicit entry of the mapping file's `section`, as a resolution (undefined when none names it). */
function byEntry<V>(
  section: 'users' | 'groups',
  record: Readonly<Record<string, V | null>>,
  omeroName: string,
  ignoreCase: boolean,
  entity: (value: V) => IrodsEntity,
): Resolution | undefined {
  const hit = explicitEntry(record, omeroName, ignoreCase);
  if (!hit) return undefined;
  const rule = formatIssuePath([section, hit.key]);
  return hit.value === null ? { outcome: 'never', rule } : { outcome: 'mapped', entity: entity(hit.value), via: section, rule };
}

export function resolveOmeroUser(map: UserMap, omeroUser: string, localZone: string, known: KnownIrodsNames | undefined): Resolution {
  const entity = (v: IrodsUserRef): IrodsEntity => ({ kind: 'user', name: v.name, zone: v.zone ?? localZone });
  return byEntry('users', map.users, omeroUser, map.ignoreCase, entity) ?? bySameName(map, 'user', omeroUser, localZone, known);
}

export function resolveOmeroGroup(map: UserMap, omeroGroup: string, localZone: string, known: KnownIrodsNames | undefined): Resolution {
  const entity = (name: string): IrodsEntity => ({ kind: 'group', name, zone: localZone });
  return byEntry('groups', map.groups, omeroGroup, map.ignoreCase, entity) ?? bySameName(map, 'group', omeroGroup, localZone, known);
}

function bySameName(
  map: UserMap,
  kind: 'user' | 'group',
  omeroName: string,
  localZone: string,
  known: KnownIrodsNames | undefined,
): Resolution {
  const section = kind === 'user' ? 'users' : 'groups';
  const candidate = sameNameCandidate(map, kind, omeroName);
  if (candidate === undefined) {
    const enabled = kind === 'user' ? map.sameName.users : map.sameName.groups;
    return {
      outcome: 'unmatched',
      reason: enabled
        ? `not listed under "${section}", and same_name does not apply to this name`
        : `not listed under "${section}" (same_name is off)`,
    };
  }
  const confirmed = kind === 'user' ? known?.users : known?.groups;
  if (!confirmed) {
    return { outcome: 'unmatched', reason: `not listed under "${section}"; same_name could not check iRODS for ${kind} '${candidate}'` };
  }
  if (!confirmed.includes(candidate)) {
    return { outcome: 'unmatched', reason: `not listed under "${section}", and iRODS has no ${kind} '${candidate}' for same_name` };
  }
  return { outcome: 'mapped', entity: { kind, name: candidate, zone: localZone }, via: 'same_name', rule: 'same_name' };
}

/** For messages: `alice`, or `carol#otherZone` outside the local zone. */
export function describeEntity(entity: IrodsEntity, localZone: string): string {
  return `${entity.kind} ${entityName(entity, localZone)}`;
}
