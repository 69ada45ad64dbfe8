import type { ClientContext } from './client-context.js';
import type { JsonObject } from './error-mapping.js';
import { bool, str } from './response-fields.js';
import type { ResourceInfo, ResourcesApi } from './types.js';

/** /resources (API.md "Resource Operations"): the agent only looks resources up. */
export function createResourcesApi(ctx: ClientContext): ResourcesApi {
  return {
    async stat(name): Promise<ResourceInfo | undefined> {
      const body = await ctx.transport.json({ method: 'GET', endpoint: 'resources', op: 'stat', params: { name }, idempotent: true });
      if (!bool(body, 'exists')) return undefined;
      const info = typeof body.info === 'object' && body.info !== null && !Array.isArray(body.info) ? (body.info as JsonObject) : {};
      return {
        name: str(info, 'name') ?? name,
        type: str(info, 'type') ?? '',
        // parent_id is '' for a root resource (resource_info: RESC_PARENT).
        parentId: str(info, 'parent_id') ?? '',
        status: str(info, 'status') ?? '',
      };
    },
  };
}
