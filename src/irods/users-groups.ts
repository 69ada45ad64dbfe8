import type { ClientContext } from './client-context.js';
import { bool, str, strings } from './response-fields.js';
import type { UserInfo, UsersGroupsApi } from './types.js';

/** /users-groups operations (API.md "User and Group Operations"); most need a rodsadmin. */
export function createUsersGroupsApi(ctx: ClientContext): UsersGroupsApi {
  const t = ctx.transport;
  const endpoint = 'users-groups';
  const post = async (op: string, params: Record<string, string | undefined>): Promise<void> => {
    await t.json({ method: 'POST', endpoint, op, params });
  };

  return {
    async stat(name, options): Promise<UserInfo> {
      const body = await t.json({ method: 'GET', endpoint, op: 'stat', params: { name, zone: options?.zone }, idempotent: true });
      if (!bool(body, 'exists')) return { exists: false };
      // local_unique_name is "name#zone" for users; groups have none.
      const unique = str(body, 'local_unique_name');
      const zone = options?.zone ?? (unique?.includes('#') ? unique.slice(unique.lastIndexOf('#') + 1) : undefined);
      const id = body.id;
      return {
        exists: true,
        ...(typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {}),
        ...(str(body, 'type') !== undefined ? { type: str(body, 'type') } : {}),
        ...(zone !== undefined ? { zone } : {}),
      };
    },

    createUser: (name, options) => post('create_user', { name, zone: options.zone, 'user-type': options.userType ?? 'rodsuser' }),
    removeUser: (name, options) => post('remove_user', { name, zone: options.zone }),
    // The password travels in the form body only; it is never part of an error or a log line.
    setPassword: (name, password, options) => post('set_password', { name, zone: options.zone, 'new-password': password }),
    createGroup: (name) => post('create_group', { name }),
    removeGroup: (name) => post('remove_group', { name }),
    addToGroup: (user, group, options) => post('add_to_group', { user, zone: options.zone, group }),
    removeFromGroup: (user, group, options) => post('remove_from_group', { user, zone: options.zone, group }),

    async isMemberOfGroup(group, user, options) {
      const body = await t.json({
        method: 'GET',
        endpoint,
        op: 'is_member_of_group',
        params: { group, user, zone: options.zone },
        idempotent: true,
      });
      return bool(body, 'is_member');
    },

    async users() {
      const body = await t.json({ method: 'GET', endpoint, op: 'users', idempotent: true });
      const list = Array.isArray(body.users) ? (body.users as unknown[]) : [];
      return list
        .filter((u): u is Record<string, unknown> => typeof u === 'object' && u !== null)
        .map((u) => ({ name: typeof u.name === 'string' ? u.name : '', zone: typeof u.zone === 'string' ? u.zone : '' }));
    },

    async groups() {
      const body = await t.json({ method: 'GET', endpoint, op: 'groups', idempotent: true });
      return strings(body, 'groups');
    },
  };
}
