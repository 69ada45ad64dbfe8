import { fail } from '../errors.js';
import { isAdmin } from '../permissions.js';
import type { Principal, UserType } from '../principals.js';
import type { Zone } from '../zone.js';
import { provisionUser } from '../zone.js';

/**
 * User and group administration as rsGeneralAdmin and the user_administration library do it
 * (irods/irods server/api/src/rsGeneralAdmin.cpp, lib/administration): rodsadmin only, except
 * that a groupadmin may create rodsusers and groups and manage groups it belongs to (or empty
 * ones). Non-admins get SYS_NO_API_PRIV, as upstream's tests assert.
 */

const USER_TYPES: readonly UserType[] = ['rodsuser', 'rodsadmin', 'groupadmin'];

/** iRODS user names: no '#', no '/', no whitespace, not empty (chlRegUserRE validates a pattern). */
function checkName(name: string): void {
  if (name === '' || /[#/\s]/.test(name)) fail('USER_INVALID_USERNAME_FORMAT', `invalid user name [${name}]`);
}

function checkZone(zone: Zone, zoneName: string): void {
  if (zoneName !== zone.catalog.zone) fail('CAT_INVALID_ZONE', `unknown zone [${zoneName}]`);
}

function requireAdmin(user: Principal): void {
  if (!isAdmin(user)) fail('SYS_NO_API_PRIV', 'rodsadmin privileges are required');
}

export function createUser(zone: Zone, caller: Principal, name: string, zoneName: string, type: UserType): void {
  const isGroupAdmin = caller.type === 'groupadmin';
  if (!isAdmin(caller) && !(isGroupAdmin && type === 'rodsuser')) fail('SYS_NO_API_PRIV', 'rodsadmin privileges are required');
  checkZone(zone, zoneName);
  checkName(name);
  if (zone.catalog.principals.find(name)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `user [${name}] already exists`);
  const user = zone.catalog.createPrincipal(name, type);
  const admin = zone.catalog.principals.findUser('rods') ?? caller;
  provisionUser(zone.catalog, user, admin);
}

/**
 * rmuser: the user's home and trash collections go with it, which the server refuses while
 * they hold anything (CAT_COLLECTION_NOT_EMPTY); ACL rows naming the user are dropped.
 */
export function removeUser(zone: Zone, caller: Principal, name: string, zoneName: string): void {
  requireAdmin(caller);
  checkZone(zone, zoneName);
  const { catalog } = zone;
  const user = catalog.principals.findUser(name);
  if (!user) fail('CAT_INVALID_USER', `user [${name}] does not exist`);
  const homes = [`/${catalog.zone}/home/${name}`, `/${catalog.zone}/trash/home/${name}`].flatMap((p) => catalog.getCollection(p) ?? []);
  for (const home of homes) {
    if (home.collections.size > 0 || home.dataObjects.size > 0) fail('CAT_COLLECTION_NOT_EMPTY', `collection [${home.path}] is not empty`);
  }
  for (const home of homes) catalog.removeCollectionTree(home);
  catalog.removePrincipal(user);
}

export function setPassword(zone: Zone, caller: Principal, name: string, zoneName: string, password: string): void {
  requireAdmin(caller);
  checkZone(zone, zoneName);
  const user = zone.catalog.principals.findUser(name);
  if (!user) fail('CAT_INVALID_USER', `user [${name}] does not exist`);
  user.password = password;
  user.modifyTime = zone.catalog.now();
  zone.catalog.touch();
}

export function setUserType(zone: Zone, caller: Principal, name: string, zoneName: string, type: string): void {
  requireAdmin(caller);
  checkZone(zone, zoneName);
  const user = zone.catalog.principals.findUser(name);
  if (!user) fail('CAT_INVALID_USER', `user [${name}] does not exist`);
  if (!USER_TYPES.includes(type as UserType)) fail('CAT_INVALID_USER_TYPE', `invalid user type [${type}]`);
  user.type = type as UserType;
  user.modifyTime = zone.catalog.now();
  zone.catalog.touch();
}

export function createGroup(zone: Zone, caller: Principal, name: string): void {
  if (!isAdmin(caller) && caller.type !== 'groupadmin') fail('SYS_NO_API_PRIV', 'rodsadmin privileges are required');
  checkName(name);
  if (zone.catalog.principals.find(name)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `group [${name}] already exists`);
  zone.catalog.createPrincipal(name, 'rodsgroup');
}

export function removeGroup(zone: Zone, caller: Principal, name: string): void {
  requireAdmin(caller);
  const group = zone.catalog.principals.findGroup(name);
  if (!group) fail('CAT_INVALID_GROUP', `group [${name}] does not exist`);
  zone.catalog.removePrincipal(group);
}

/** chlModGroup: groupadmins may change groups they belong to, or add anyone to an empty group. */
function groupMembership(zone: Zone, caller: Principal, userName: string, zoneName: string, groupName: string, adding: boolean): { user: Principal; group: Principal } {
  const { principals } = zone.catalog;
  const group = principals.findGroup(groupName);
  if (!isAdmin(caller)) {
    const allowed = caller.type === 'groupadmin' && group !== undefined && (group.members.has(caller.id) || (adding && group.members.size === 0));
    if (!allowed) fail(caller.type === 'groupadmin' ? 'CAT_INSUFFICIENT_PRIVILEGE_LEVEL' : 'SYS_NO_API_PRIV', 'rodsadmin privileges are required');
  }
  checkZone(zone, zoneName);
  const user = principals.findUser(userName);
  if (!user) fail('CAT_INVALID_USER', `user [${userName}] does not exist`);
  if (!group) fail('CAT_INVALID_GROUP', `group [${groupName}] does not exist`);
  return { user, group };
}

export function addToGroup(zone: Zone, caller: Principal, userName: string, zoneName: string, groupName: string): void {
  const { user, group } = groupMembership(zone, caller, userName, zoneName, groupName, true);
  if (group.members.has(user.id)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `[${userName}] is already a member of [${groupName}]`);
  zone.catalog.principals.addMember(group, user);
  zone.catalog.touch();
}

export function removeFromGroup(zone: Zone, caller: Principal, userName: string, zoneName: string, groupName: string): void {
  const { user, group } = groupMembership(zone, caller, userName, zoneName, groupName, false);
  if (!group.members.has(user.id)) fail('USER_NOT_IN_GROUP', `[${userName}] is not a member of [${groupName}]`);
  zone.catalog.principals.removeMember(group, user);
  zone.catalog.touch();
}

function byName(a: Principal, b: Principal): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** adm::client::users — a GenQuery, so any authenticated user may list (despite API.md's warning). */
export function listUsers(zone: Zone): { name: string; zone: string }[] {
  return [...zone.catalog.principals.all()]
    .filter((p) => p.type !== 'rodsgroup')
    .sort(byName)
    .map((p) => ({ name: p.name, zone: p.zone }));
}

export function listGroups(zone: Zone): string[] {
  return [...zone.catalog.principals.all()]
    .filter((p) => p.type === 'rodsgroup')
    .sort(byName)
    .map((p) => p.name);
}

export function isMemberOfGroup(zone: Zone, groupName: string, userName: string, zoneName: string): boolean {
  const group = zone.catalog.principals.findGroup(groupName);
  const user = zone.catalog.principals.findUser(userName, zoneName);
  return group !== undefined && user !== undefined && group.members.has(user.id);
}
