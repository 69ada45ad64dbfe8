import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserMapError, type UserMapIssue } from './errors.js';
import { isIrodsName, parseUserName } from './irods-name.js';

/**
 * The admin-maintained mapping from OMERO users and groups to iRODS users and groups, and the
 * policy for granting access on expanded archives. The file is snake_case (admins write it);
 * the model is camelCase, typed and deeply frozen. See docs/user-mapping.md.
 */

/** The three levels the agent grants (iRODS read_object, modify_object, own). */
export type GrantLevel = 'read' | 'write' | 'own';

/** What happens when the archive's original OMERO owner maps to no iRODS user. */
export type NoMatchPolicy = 'uploader-only' | 'fail';

/** What happens when the archive's OMERO group maps to no iRODS group. */
export type NoGroupMatchPolicy = 'warn' | 'ignore' | 'fail';

/** An iRODS user as the file names it; `zone` undefined means the agent's own (local) zone. */
export interface IrodsUserRef {
  readonly name: string;
  readonly zone: string | undefined;
}

export interface PrefixGrant {
  readonly kind: 'user' | 'group';
  readonly name: string;
  /** Users only; undefined means the local zone. */
  readonly zone: string | undefined;
  readonly acl: GrantLevel;
}

/** Extra grants on everything at or under `prefix` (e.g. a lab's group reads its lab's area). */
export interface PrefixRule {
  readonly prefix: string;
  readonly grants: readonly PrefixGrant[];
}

export interface UserMap {
  readonly version: 1;
  /** OMERO user name → iRODS user, or null: never grant to this OMERO user. Null prototype: look up with Object.hasOwn. */
  readonly users: Readonly<Record<string, IrodsUserRef | null>>;
  /** OMERO group name → iRODS group, or null: never grant to this OMERO group. Null prototype. */
  readonly groups: Readonly<Record<string, string | null>>;
  /** OMERO name X → iRODS name X when no explicit entry exists and iRODS confirms X exists (off by default). */
  readonly sameName: { readonly users: boolean; readonly groups: boolean; readonly lowercase: boolean };
  /** Match OMERO names against the keys of `users`/`groups` ignoring case (LDAP-backed OMERO). */
  readonly ignoreCase: boolean;
  readonly access: {
    readonly uploader: GrantLevel;
    readonly originalUser: GrantLevel;
    readonly originalGroup: GrantLevel | 'none';
  };
  /** Enable inheritance on the expanded collections so later additions get the same ACLs. */
  readonly inheritance: boolean;
  /** Make the tree's ACLs exactly the planned set: lower higher levels and remove everyone else. */
  readonly revoke: boolean;
  readonly noMatch: NoMatchPolicy;
  readonly noGroupMatch: NoGroupMatchPolicy;
  readonly prefixes: readonly PrefixRule[];
  /** The file the map came from, or undefined for the built-in defaults. */
  readonly source: string | undefined;
  /** `sha256:<hex>` of the file's text: recorded in the audit so a decision names the mapping it used. */
  readonly digest: string;
}

const LPATH = /^\/[^/]+(\/[^/]+)*\/?$/;

const flag = z.boolean({ error: 'must be true or false' });

/** Record keys are checked here rather than by a key schema, whose failure zod reports only as "Invalid key". */
function omeroNames(section: string) {
  return (rec: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const key of Object.keys(rec)) {
      if (key === '' || key !== key.trim()) {
        ctx.addIssue({ code: 'custom', path: [key], message: `OMERO ${section} names must not be empty or start or end with spaces` });
      }
    }
  };
}

const irodsUser = z
  .string({ error: 'must be an iRODS user name (in quotes if it looks like a number), or null to never grant' })
  .refine((v) => parseUserName(v) !== undefined, 'must be an iRODS user name, optionally name#zone (letters, digits, _ . @ -)');

const irodsGroup = z
  .string({ error: 'must be an iRODS group name (in quotes if it looks like a number), or null to never grant' })
  .refine((v) => !v.includes('#'), 'must be a local iRODS group: groups carry no #zone')
  .refine((v) => isIrodsName(v), 'must be an iRODS group name (letters, digits, _ . @ -)');

/** iRODS' own permission words are accepted too, because admins type what `ils -A` shows them. */
const grantLevel = z
  .enum(['read', 'write', 'own', 'read_object', 'modify_object'], {
    error: 'must be one of read, write, own',
  })
  .transform((v): GrantLevel => (v === 'read_object' ? 'read' : v === 'modify_object' ? 'write' : v));

const groupLevel = z
  .enum(['none', 'read', 'write', 'own', 'read_object', 'modify_object'], {
    error: 'must be one of none, read, write, own',
  })
  .transform((v): GrantLevel | 'none' => (v === 'read_object' ? 'read' : v === 'modify_object' ? 'write' : v));

const lpathPrefix = z
  .string()
  .regex(LPATH, 'must be an absolute iRODS logical path such as /tempZone/home/labX')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments')
  .transform((p) => p.replace(/\/+$/, ''));

const prefixGrant = z
  .strictObject({ user: irodsUser.optional(), group: irodsGroup.optional(), acl: grantLevel })
  .superRefine((g, ctx) => {
    if ((g.user === undefined) === (g.group === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "user" or "group"' });
    }
  });

/** `same_name: true` is shorthand for both users and groups. */
const sameName = z.preprocess(
  (v) => (typeof v === 'boolean' ? { users: v, groups: v } : v),
  z
    .strictObject(
      {
        users: flag.default(false),
        groups: flag.default(false),
        lowercase: flag.default(false),
      },
      { error: (iss) => (iss.code === 'invalid_type' ? 'must be true, false or {users, groups, lowercase}' : undefined) },
    )
    .default({ users: false, groups: false, lowercase: false }),
);

const fileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only version so far)' }).default(1),
  users: z.record(z.string(), irodsUser.nullable()).superRefine(omeroNames('user')).default({}),
  groups: z.record(z.string(), irodsGroup.nullable()).superRefine(omeroNames('group')).default({}),
  same_name: sameName,
  ignore_case: flag.default(false),
  access: z
    .strictObject({
      uploader: grantLevel.default('own'),
      original_user: grantLevel.default('own'),
      original_group: groupLevel.default('read'),
    })
    .default({ uploader: 'own', original_user: 'own', original_group: 'read' }),
  inheritance: flag.default(true),
  revoke: flag.default(false),
  no_match: z.enum(['uploader-only', 'fail'], { error: 'must be uploader-only or fail' }).default('uploader-only'),
  no_group_match: z.enum(['warn', 'ignore', 'fail'], { error: 'must be warn, ignore or fail' }).default('warn'),
  prefixes: z
    .array(z.strictObject({ prefix: lpathPrefix, grants: z.array(prefixGrant).min(1, 'must list at least one grant') }))
    .default([]),
});

type FileShape = z.output<typeof fileSchema>;

/** `users.alice`, `prefixes[0].grants[1].acl`, `users["a b"]`: the place an admin looks for. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function nullProtoRecord<V>(entries: Iterable<readonly [string, V]>): Readonly<Record<string, V>> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Two keys that differ only by case must agree when matching ignores case. */
function caseClashes(record: Readonly<Record<string, unknown>>, section: string): UserMapIssue[] {
  const seen = new Map<string, string>();
  const issues: UserMapIssue[] = [];
  for (const [key, value] of Object.entries(record)) {
    const folded = key.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined && JSON.stringify(record[earlier]) !== JSON.stringify(value)) {
      issues.push({
        where: formatIssuePath([section, key]),
        message: `differs from "${earlier}" only by case but maps elsewhere, and ignore_case is on`,
      });
    }
    if (earlier === undefined) seen.set(folded, key);
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function toModel(f: FileShape, source: string | undefined, digest: string): UserMap {
  const users = nullProtoRecord(
    Object.entries(f.users).map(([omero, irods]): [string, IrodsUserRef | null] => {
      if (irods === null) return [omero, null];
      // Validated above; parseUserName cannot fail here.
      const parsed = parseUserName(irods) ?? { name: irods, zone: undefined };
      return [omero, { name: parsed.name, zone: parsed.zone }];
    }),
  );
  const groups = nullProtoRecord(Object.entries(f.groups));
  const sn = typeof f.same_name === 'boolean' ? { users: f.same_name, groups: f.same_name, lowercase: false } : f.same_name;
  const prefixes = f.prefixes.map(
    (rule): PrefixRule => ({
      prefix: rule.prefix,
      grants: rule.grants.map((g): PrefixGrant => {
        if (g.user !== undefined) {
          const parsed = parseUserName(g.user) ?? { name: g.user, zone: undefined };
          return { kind: 'user', name: parsed.name, zone: parsed.zone, acl: g.acl };
        }
        return { kind: 'group', name: g.group ?? '', zone: undefined, acl: g.acl };
      }),
    }),
  );
  return deepFreeze<UserMap>({
    version: 1,
    users,
    groups,
    sameName: { users: sn.users, groups: sn.groups, lowercase: sn.lowercase },
    ignoreCase: f.ignore_case,
    access: { uploader: f.access.uploader, originalUser: f.access.original_user, originalGroup: f.access.original_group },
    inheritance: f.inheritance,
    revoke: f.revoke,
    noMatch: f.no_match,
    noGroupMatch: f.no_group_match,
    prefixes,
    source,
    digest,
  });
}

/** A key named __proto__ would silently vanish when copied into an object: refuse it by name. */
function protoKeys(doc: unknown): UserMapIssue[] {
  const issues: UserMapIssue[] = [];
  if (!doc || typeof doc !== 'object') return issues;
  for (const section of ['users', 'groups']) {
    const rec: unknown = Object.getOwnPropertyDescriptor(doc, section)?.value;
    if (rec && typeof rec === 'object' && Object.hasOwn(rec, '__proto__')) {
      issues.push({ where: formatIssuePath([section, '__proto__']), message: 'is not allowed as a name' });
    }
  }
  return issues;
}

export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * Validates an already-parsed document (from JSON or YAML) into the frozen model. Throws
 * UserMapError listing every offending place. `source` names the file in messages.
 */
export function parseUserMap(value: unknown, options: { source?: string; digest?: string } = {}): UserMap {
  const source = options.source;
  const file = source ?? '<user map>';
  // An empty file is a valid map with every default (YAML parses it to null).
  const doc = value === null || value === undefined ? {} : value;
  const proto = protoKeys(doc);
  if (proto.length > 0) throw new UserMapError({ code: 'user_map_invalid', file, issues: proto });
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ where: formatIssuePath(i.path), message: i.message }));
    throw new UserMapError({ code: 'user_map_invalid', file, issues });
  }
  if (parsed.data.ignore_case) {
    const clashes = [...caseClashes(parsed.data.users, 'users'), ...caseClashes(parsed.data.groups, 'groups')];
    if (clashes.length > 0) throw new UserMapError({ code: 'user_map_invalid', file, issues: clashes });
  }
  return toModel(parsed.data, source, options.digest ?? digestOf(JSON.stringify(doc)));
}

/** The map used when AGENT_USER_MAP is not set: every default, nobody mapped. */
export function defaultUserMap(): UserMap {
  return parseUserMap({}, { digest: digestOf('') });
}
