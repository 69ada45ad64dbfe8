import { authenticated, type OperationHandler, type OperationTable } from '../http/dispatch.js';
import { sendOk, sendStatus } from '../http/reply.js';
import {
  addToGroup,
  createGroup,
  createUser,
  isMemberOfGroup,
  listGroups,
  listUsers,
  removeFromGroup,
  removeGroup,
  removeUser,
  setPassword,
  setUserType,
} from '../operations/users-groups.js';
import type { UserType } from '../principals.js';
import { modifyMetadata } from './shared.js';

/** /users-groups (irods_client_http_api endpoints/users_groups/src/main.cpp). */

/** Upstream answers these 501 before even looking at the caller. */
const notImplemented: OperationHandler = ({ reply }) => Promise.resolve(sendStatus(reply, 501));

export const usersGroupsGet: OperationTable = {
  users: authenticated(({ zone, reply }) => sendOk(reply, { users: listUsers(zone) })),

  groups: authenticated(({ zone, reply }) => sendOk(reply, { groups: listGroups(zone) })),

  // Upstream leaves `members` unimplemented (501 Not Implemented).
  members: notImplemented,

  is_member_of_group: authenticated(({ zone, reply, args }) => {
    const group = args.text('group');
    const user = args.text('user');
    const userZone = args.text('zone');
    if (group === undefined || user === undefined || userZone === undefined) return sendStatus(reply, 400);
    return sendOk(reply, { is_member: isMemberOfGroup(zone, group, user, userZone) });
  }),

  /**
   * With a zone the name is looked up as a user#zone (groups included, they live in the same
   * table); without one as a user first, then as a group (which has no local_unique_name).
   */
  stat: authenticated(({ zone, reply, args }) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    const userZone = args.text('zone');
    const { principals } = zone.catalog;
    if (userZone !== undefined) {
      const p = principals.find(name, userZone);
      if (!p) return sendOk(reply, { exists: false });
      return sendOk(reply, { exists: true, id: String(p.id), local_unique_name: `${name}#${userZone}`, type: p.type });
    }
    const user = principals.findUser(name);
    if (user) return sendOk(reply, { exists: true, id: String(user.id), local_unique_name: `${user.name}#${user.zone}`, type: user.type });
    const group = principals.findGroup(name);
    if (group) return sendOk(reply, { exists: true, id: String(group.id), type: 'rodsgroup' });
    return sendOk(reply, { exists: false });
  }),
};

export const usersGroupsPost: OperationTable = {
  create_user: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    const userZone = args.text('zone');
    if (name === undefined || userZone === undefined) return sendStatus(reply, 400);
    const type = args.text('user-type') ?? 'rodsuser';
    if (type !== 'rodsuser' && type !== 'rodsadmin' && type !== 'groupadmin') return sendStatus(reply, 400);
    createUser(zone, caller, name, userZone, type satisfies UserType);
    return sendOk(reply);
  }),

  remove_user: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    const userZone = args.text('zone');
    if (name === undefined || userZone === undefined) return sendStatus(reply, 400);
    removeUser(zone, caller, name, userZone);
    return sendOk(reply);
  }),

  set_password: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    const userZone = args.text('zone');
    const password = args.text('new-password');
    if (name === undefined || userZone === undefined || password === undefined) return sendStatus(reply, 400);
    setPassword(zone, caller, name, userZone, password);
    return sendOk(reply);
  }),

  set_user_type: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    const userZone = args.text('zone');
    const type = args.text('new-user-type');
    if (name === undefined || userZone === undefined || type === undefined) return sendStatus(reply, 400);
    setUserType(zone, caller, name, userZone, type);
    return sendOk(reply);
  }),

  add_user_auth: notImplemented,
  remove_user_auth: notImplemented,

  create_group: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    createGroup(zone, caller, name);
    return sendOk(reply);
  }),

  remove_group: authenticated(({ zone, reply, args }, caller) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    removeGroup(zone, caller, name);
    return sendOk(reply);
  }),

  add_to_group: authenticated(({ zone, reply, args }, caller) => {
    const user = args.text('user');
    const userZone = args.text('zone');
    const group = args.text('group');
    if (user === undefined || userZone === undefined || group === undefined) return sendStatus(reply, 400);
    addToGroup(zone, caller, user, userZone, group);
    return sendOk(reply);
  }),

  remove_from_group: authenticated(({ zone, reply, args }, caller) => {
    const user = args.text('user');
    const userZone = args.text('zone');
    const group = args.text('group');
    if (user === undefined || userZone === undefined || group === undefined) return sendStatus(reply, 400);
    removeFromGroup(zone, caller, user, userZone, group);
    return sendOk(reply);
  }),

  modify_metadata: authenticated(({ zone, reply, args }, caller) => modifyMetadata(zone, caller, reply, args, 'user', 'name')),
};
