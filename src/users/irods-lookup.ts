import type { KnownIrodsNames } from './identity-resolution.js';
import { sameNameCandidate } from './identity-resolution.js';
import { formatIssuePath, type UserMap } from './user-map.js';
import type { ProvenanceOwner } from './permission-plan.js';

/**
 * Asks iRODS whether a user or group exists. `zone` is undefined for the local zone. The CLI and
 * the pipeline pass the iRODS client's users.stat: `(name, zone) => irods.users.stat(name, { zone })`.
 */
export type IrodsEntityLookup = (name: string, zone: string | undefined) => Promise<{ exists: boolean; type?: string | undefined }>;

const GROUP_TYPE = 'rodsgroup';

/** At most this many lookups in flight: `config check` should not flood the HTTP API. */
const LOOKUP_CONCURRENCY = 4;

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export type UserMapProblemKind = 'unknown_user' | 'unknown_group' | 'user_is_group' | 'group_is_user' | 'lookup_failed';

export interface UserMapProblem {
  readonly kind: UserMapProblemKind;
  /** The iRODS entity as the file names it (`alice`, `carol#otherZone`, `labX`). */
  readonly entity: string;
  /** Every place in the file that names it (`users.alice`, `prefixes[0].grants[1]`). */
  readonly where: readonly string[];
  readonly message: string;
}

export interface UserMapCheckResult {
  readonly ok: boolean;
  /** How many distinct iRODS names were looked up. */
  readonly checked: number;
  readonly unknownUsers: readonly string[];
  readonly unknownGroups: readonly string[];
  /** Named as users in the file but groups in iRODS. */
  readonly usersThatAreGroups: readonly string[];
  /** Named as groups in the file but users in iRODS. */
  readonly groupsThatAreUsers: readonly string[];
  readonly problems: readonly UserMapProblem[];
}

interface Reference {
  kind: 'user' | 'group';
  name: string;
  zone: string | undefined;
  where: string[];
}

function label(ref: { name: string; zone: string | undefined }): string {
  return ref.zone === undefined ? ref.name : `${ref.name}#${ ref.zone}`;
}

/**
 * For `config check`: every iRODS user and group the mapping names, looked up in iRODS. Reports
 * names iRODS does not know (a typo, a departed user, a remote user never registered locally)
 * and names of the wrong kind (a group under "users"). A failing lookup is reported, not thrown,
 * so one answer does not hide the others.
 */
export async function checkUserMapAgainstIrods(map: UserMap, lookup: IrodsEntityLookup): Promise<UserMapCheckResult> {
  const refs = new Map<string, Reference>();
  const add = (kind: 'user' | 'group', name: string, zone: string | undefined, where: string): void => {
    const key = `${kind}:${label({ name, zone })}`;
    const ref = refs.get(key) ?? { kind, name, zone, where: [] };
    ref.where.push(where);
    refs.set(key, ref);
  };
  for (const [omero, irods] of Object.entries(map.users)) {
    if (irods) add('user', irods.name, irods.zone, formatIssuePath(['users', omero]));
  }
  for (const [omero, irods] of Object.entries(map.groups)) {
    if (irods) add('group', irods, undefined, formatIssuePath(['groups', omero]));
  }
  map.prefixes.forEach((rule, i) =>
    rule.grants.forEach((g, j) => add(g.kind, g.name, g.zone, formatIssuePath(['prefixes', i, 'grants', j]))),
  );

  const list = [...refs.values()];
  const problems = (
    await mapLimited(list, LOOKUP_CONCURRENCY, async (ref): Promise<UserMapProblem | undefined> => {
      const entity = label(ref);
      try {
        const info = await lookup(ref.name, ref.zone);
        if (!info.exists) {
          const hint = ref.zone === undefined ? '' : ' (a remote-zone user must also be registered in this zone: iadmin mkuser name#zone rodsuser)';
          return { kind: ref.kind === 'user' ? 'unknown_user' : 'unknown_group', entity, where: ref.where, message: `iRODS has no ${ref.kind} '${entity}'${hint}` };
        }
        const isGroup = info.type === GROUP_TYPE;
        if (ref.kind === 'user' && isGroup) {
          return { kind: 'user_is_group', entity, where: ref.where, message: `'${entity}' is a group in iRODS, but the mapping uses it as a user` };
        }
        if (ref.kind === 'group' && info.type !== undefined && !isGroup) {
          return { kind: 'group_is_user', entity, where: ref.where, message: `'${entity}' is a ${info.type} in iRODS, but the mapping uses it as a group` };
        }
        return undefined;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { kind: 'lookup_failed', entity, where: ref.where, message: `could not look up '${entity}': ${why}` };
      }
    })
  ).filter((p): p is UserMapProblem => p !== undefined);

  const of = (kind: UserMapProblemKind): string[] => problems.filter((p) => p.kind === kind).map((p) => p.entity);
  return Object.freeze({
    ok: problems.length === 0,
    checked: list.length,
    unknownUsers: of('unknown_user'),
    unknownGroups: of('unknown_group'),
    usersThatAreGroups: of('user_is_group'),
    groupsThatAreUsers: of('group_is_user'),
    problems,
  });
}

/**
 * The same_name candidates of an archive's owners, looked up in iRODS; pass the result as
 * `knownIrodsNames` to planPermissions. No lookups when same_name is off or every owner is
 * listed explicitly. Lookup errors propagate (the step retries them).
 */
export async function lookupSameNames(
  map: UserMap,
  provenance: readonly ProvenanceOwner[],
  lookup: IrodsEntityLookup,
): Promise<KnownIrodsNames> {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const p of provenance) {
    const u = p.originalUser?.trim();
    const g = p.originalGroup?.trim();
    const cu = u ? sameNameCandidate(map, 'user', u) : undefined;
    const cg = g ? sameNameCandidate(map, 'group', g) : undefined;
    if (cu) users.add(cu);
    if (cg) groups.add(cg);
  }
  const confirm = async (names: Set<string>, wantGroup: boolean): Promise<string[]> => {
    const found = await mapLimited([...names], LOOKUP_CONCURRENCY, async (name) => {
      const info = await lookup(name, undefined);
      const isGroup = info.type === GROUP_TYPE;
      return info.exists && isGroup === wantGroup ? name : undefined;
    });
    return found.filter((n): n is string => n !== undefined);
  };
  return Object.freeze({ users: await confirm(users, false), groups: await confirm(groups, true) });
}
