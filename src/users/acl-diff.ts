import type { AclEntry, PermissionOperation } from '../irods/types.js';
import { entityKey, entityName, splitEntityName } from './irods-name.js';

/**
 * iRODS access levels by their catalog token ids (R_TOKN_MAIN, token_namespace access_type), so
 * "higher" means what iRODS means by it. `stat` reports them with underscores (iRODS 4.3+);
 * older servers and `ils -A` use spaces, and the legacy words read/write are accepted too.
 */
const LEVELS: Readonly<Record<string, number>> = Object.freeze({
  null: 1000,
  execute: 1010,
  read_annotation: 1020,
  read_system_metadata: 1030,
  read_metadata: 1040,
  read_object: 1050,
  read: 1050,
  write_annotation: 1060,
  create_metadata: 1070,
  modify_metadata: 1080,
  delete_metadata: 1090,
  administer_object: 1100,
  create_object: 1110,
  modify_object: 1120,
  write: 1120,
  delete_object: 1130,
  create_token: 1140,
  delete_token: 1150,
  curate: 1160,
  own: 1200,
});

/** The numeric level of a permission word, or undefined when this agent does not know the word. */
export function accessLevel(perm: string): number | undefined {
  const word = perm.trim().toLowerCase().replace(/\s+/g, '_');
  return Object.hasOwn(LEVELS, word) ? LEVELS[word] : undefined;
}

export interface DiffOptions {
  /** The agent's zone: bare names in operations and empty zones in ACL entries mean this zone. */
  readonly localZone: string;
  /**
   * Make the ACL exactly `wanted`: set every wanted entity to its level even when that lowers it,
   * and remove (`null`) every other entity. Off by default: the agent only ever adds access.
   */
  readonly revoke?: boolean;
  /** Entities never lowered or removed (the agent's own account), as `name` or `name#zone`. */
  readonly keep?: readonly string[];
}

/**
 * The operations that bring an object's ACL (`current`, as stat reports it) to `wanted`.
 * Grants only raise access: an entity that already holds the wanted level or any higher one
 * (delete_object ≥ write) is left alone, and so is an entity whose permission word is unknown,
 * since it might be higher. Applying the result and diffing again yields nothing (idempotent).
 * `null` operations appear only with `revoke`.
 */
export function diffAcls(
  current: readonly AclEntry[],
  wanted: readonly PermissionOperation[],
  options: DiffOptions,
): PermissionOperation[] {
  const { localZone } = options;
  const held = new Map<string, { level: number | undefined; name: string; zone: string }>();
  for (const entry of current) {
    const zone = entry.zone === '' ? localZone : entry.zone;
    const key = entityKey(entry.name, zone);
    const level = accessLevel(entry.perm);
    const before = held.get(key);
    // Two rows for one entity should not happen; if they do, the unknown or higher one wins.
    if (!before || level === undefined || (before.level !== undefined && level > before.level)) {
      held.set(key, { level, name: entry.name, zone });
    }
  }
  const keep = new Set((options.keep ?? []).map((k) => {
    const e = splitEntityName(k, localZone);
    return entityKey(e.name, e.zone);
  }));

  const out: PermissionOperation[] = [];
  const wantedKeys = new Set<string>();
  for (const op of wanted) {
    const e = splitEntityName(op.entityName, localZone);
    const key = entityKey(e.name, e.zone);
    if (wantedKeys.has(key)) continue;
    wantedKeys.add(key);
    const name = entityName(e, localZone);
    if (op.acl === 'null') {
      // A wanted `null` is a revoke; without the revoke option the agent never takes access away.
      if (options.revoke && !keep.has(key) && held.has(key)) out.push({ entityName: name, acl: 'null' });
      continue;
    }
    const want = LEVELS[op.acl] ?? 0;
    const have = held.get(key);
    if (!have) {
      out.push({ entityName: name, acl: op.acl });
    } else if (options.revoke && !keep.has(key)) {
      if (have.level !== want) out.push({ entityName: name, acl: op.acl });
    } else if (have.level !== undefined && have.level < want) {
      out.push({ entityName: name, acl: op.acl });
    }
  }
  if (options.revoke) {
    for (const [key, have] of held) {
      if (wantedKeys.has(key) || keep.has(key) || have.level === LEVELS.null) continue;
      out.push({ entityName: entityName(have, localZone), acl: 'null' });
    }
  }
  return out;
}
