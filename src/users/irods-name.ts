/**
 * iRODS user, group and zone names, as iRODS itself validates them
 * (server/core/src/user_validation_utilities.cpp: `[\w.@-]+`, at most 63 characters, not `.`/`..`;
 * a user may carry `#zone` when it lives in a federated zone).
 */

const NAME = /^[A-Za-z0-9_.@-]{1,63}$/;
const ZONE = /^[A-Za-z0-9_.-]{1,63}$/;

/** Users, groups and the other entities an ACL can name share one namespace (R_USER_MAIN). */
export type EntityKind = 'user' | 'group';

/** A user or group with its zone resolved (never empty). */
export interface IrodsEntity {
  readonly kind: EntityKind;
  readonly name: string;
  readonly zone: string;
}

export function isIrodsName(name: string): boolean {
  return NAME.test(name) && name !== '.' && name !== '..';
}

export function isZoneName(zone: string): boolean {
  return ZONE.test(zone);
}

/** Splits `name` or `name#zone`; undefined when either part is not a valid iRODS name. */
export function parseUserName(raw: string): { name: string; zone: string | undefined } | undefined {
  const hash = raw.indexOf('#');
  const name = hash < 0 ? raw : raw.slice(0, hash);
  const zone = hash < 0 ? undefined : raw.slice(hash + 1);
  if (!isIrodsName(name)) return undefined;
  if (zone !== undefined && !isZoneName(zone)) return undefined;
  return { name, zone };
}

/**
 * The name to put in an ACL operation: the bare name in the local zone, `name#zone` elsewhere.
 * Bare names matter: the atomic ACL API looks entities up by name in the local zone only.
 */
export function entityName(entity: { readonly name: string; readonly zone: string }, localZone: string): string {
  return entity.zone === localZone ? entity.name : `${entity.name}#${entity.zone}`;
}

/** A key that identifies an entity across zones (`alice#tempZone`). */
export function entityKey(name: string, zone: string): string {
  return `${name}#${zone}`;
}

/** Parses an ACL operation's entity name back into name and zone. */
export function splitEntityName(raw: string, localZone: string): { name: string; zone: string } {
  const hash = raw.indexOf('#');
  if (hash < 0) return { name: raw, zone: localZone };
  const zone = raw.slice(hash + 1);
  return { name: raw.slice(0, hash), zone: zone === '' ? localZone : zone };
}
