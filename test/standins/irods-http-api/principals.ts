import type { AvuSet } from './avus.js';

export type UserType = 'rodsuser' | 'rodsadmin' | 'groupadmin';
export type PrincipalType = UserType | 'rodsgroup';

/** A row of R_USER_MAIN: users and groups share the table (a group is a principal of type rodsgroup). */
export interface Principal {
  readonly id: number;
  name: string;
  readonly zone: string;
  type: PrincipalType;
  /** Native-auth password; undefined until set (such a user cannot authenticate). */
  password: string | undefined;
  /** Ids of the groups a user belongs to (never itself; see permissions.effectiveAccess). */
  readonly groups: Set<number>;
  /** Ids of a group's members. */
  readonly members: Set<number>;
  readonly avus: AvuSet;
  readonly createTime: number;
  modifyTime: number;
}

/** Users and groups of the zone, indexed by name and id. */
export class Principals {
  private readonly byName = new Map<string, Principal>();
  private readonly byId = new Map<number, Principal>();

  constructor(readonly zone: string) {}

  add(principal: Principal): void {
    this.byName.set(principal.name, principal);
    this.byId.set(principal.id, principal);
  }

  delete(principal: Principal): void {
    this.byName.delete(principal.name);
    this.byId.delete(principal.id);
    for (const groupId of principal.groups) this.byId.get(groupId)?.members.delete(principal.id);
    for (const memberId of principal.members) this.byId.get(memberId)?.groups.delete(principal.id);
  }

  /** A user or group by name; `name#zone` is accepted when the zone is the local one. */
  find(name: string, zone?: string): Principal | undefined {
    const hash = name.indexOf('#');
    const bare = hash >= 0 ? name.slice(0, hash) : name;
    const inZone = zone ?? (hash >= 0 ? name.slice(hash + 1) : this.zone);
    if (inZone !== '' && inZone !== this.zone) return undefined;
    return this.byName.get(bare);
  }

  findUser(name: string, zone?: string): Principal | undefined {
    const p = this.find(name, zone);
    return p && p.type !== 'rodsgroup' ? p : undefined;
  }

  findGroup(name: string): Principal | undefined {
    const p = this.byName.get(name);
    return p && p.type === 'rodsgroup' ? p : undefined;
  }

  byIdOrUndefined(id: number): Principal | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<Principal> {
    return this.byName.values();
  }

  addMember(group: Principal, user: Principal): void {
    group.members.add(user.id);
    user.groups.add(group.id);
  }

  removeMember(group: Principal, user: Principal): void {
    group.members.delete(user.id);
    user.groups.delete(group.id);
  }
}
