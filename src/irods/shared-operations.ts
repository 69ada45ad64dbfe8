import type { ClientContext } from './client-context.js';
import type { AdminOption, MetadataOperation, Permission, PermissionOperation } from './types.js';

/**
 * ACL and AVU operations that /collections and /data-objects share, with the same parameters
 * (upstream: endpoints/shared/src/shared_api_operations.cpp). The batch operations are atomic:
 * on failure the API answers 400 with irods_response.failed_operation, which IrodsError keeps.
 */
export interface SharedOperations {
  readonly setPermission: (lpath: string, entityName: string, permission: Permission, options?: AdminOption) => Promise<void>;
  readonly modifyPermissions: (lpath: string, operations: readonly PermissionOperation[], options?: AdminOption) => Promise<void>;
  readonly modifyMetadata: (lpath: string, operations: readonly MetadataOperation[], options?: AdminOption) => Promise<void>;
}

export function adminFlag(ctx: ClientContext, options: AdminOption | undefined): boolean {
  return options?.admin ?? ctx.settings.admin;
}

export function createSharedOperations(ctx: ClientContext, endpoint: 'collections' | 'data-objects'): SharedOperations {
  const post = async (op: string, lpath: string, params: Record<string, string | boolean>): Promise<void> => {
    await ctx.transport.json({ method: 'POST', endpoint, op, lpath, params: { lpath, ...params } });
  };
  return {
    setPermission: (lpath, entityName, permission, options) =>
      post('set_permission', lpath, { 'entity-name': entityName, permission, admin: adminFlag(ctx, options) }),

    // An empty batch changes nothing; not sending it spares a round trip and a 400.
    modifyPermissions: async (lpath, operations, options) => {
      if (operations.length === 0) return;
      await post('modify_permissions', lpath, {
        operations: JSON.stringify(operations.map((o) => ({ entity_name: o.entityName, acl: o.acl }))),
        admin: adminFlag(ctx, options),
      });
    },

    modifyMetadata: async (lpath, operations, options) => {
      if (operations.length === 0) return;
      await post('modify_metadata', lpath, {
        operations: JSON.stringify(
          operations.map((o) => ({
            operation: o.operation,
            attribute: o.attribute,
            value: o.value,
            // An empty units string is what iRODS stores for "no units"; leave the key out instead.
            ...(o.units !== undefined && o.units !== '' ? { units: o.units } : {}),
          })),
        ),
        admin: adminFlag(ctx, options),
      });
    },
  };
}
