import type { ClientContext } from './client-context.js';
import type { JsonObject } from './error-mapping.js';
import type { Params } from './transport.js';
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

/** JSON calls of one endpoint about one lpath (named in errors), with the params the operation takes. */
export interface LpathCalls {
  /** A change: retried only when `idempotent` (the same call twice gives the same state). */
  readonly post: (op: string, lpath: string, params: Params, options?: { idempotent?: boolean }) => Promise<JsonObject>;
  /** A read: always safe to retry. */
  readonly get: (op: string, lpath: string, params: Params) => Promise<JsonObject>;
}

export function lpathCalls(ctx: ClientContext, endpoint: 'collections' | 'data-objects'): LpathCalls {
  return {
    post: (op, lpath, params, options) => ctx.transport.json({ method: 'POST', endpoint, op, lpath, params, idempotent: options?.idempotent ?? false }),
    get: (op, lpath, params) => ctx.transport.json({ method: 'GET', endpoint, op, lpath, params, idempotent: true }),
  };
}

export function createSharedOperations(ctx: ClientContext, endpoint: 'collections' | 'data-objects'): SharedOperations {
  const calls = lpathCalls(ctx, endpoint);
  const post = async (op: string, lpath: string, params: Record<string, string | boolean>): Promise<void> => {
    await calls.post(op, lpath, { lpath, ...params });
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
