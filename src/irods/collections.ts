import type { ClientContext } from './client-context.js';
import { aclEntries, bool, num, strings } from './response-fields.js';
import { adminFlag, createSharedOperations, lpathCalls } from './shared-operations.js';
import type { CollectionStat, CollectionsApi } from './types.js';

/** /collections operations (API.md "Collection Operations"). */
export function createCollectionsApi(ctx: ClientContext): CollectionsApi {
  const { post, get } = lpathCalls(ctx, 'collections');
  const shared = createSharedOperations(ctx, 'collections');

  return {
    async create(lpath, options) {
      const body = await post('create', lpath, { lpath, 'create-intermediates': options?.intermediates ?? false });
      return { created: bool(body, 'created') };
    },

    async remove(lpath, options) {
      await post('remove', lpath, { lpath, recurse: options?.recurse ?? false, 'no-trash': options?.noTrash ?? false });
    },

    async stat(lpath): Promise<CollectionStat> {
      const body = await get('stat', lpath, { lpath });
      return {
        type: 'collection',
        inheritanceEnabled: bool(body, 'inheritance_enabled'),
        permissions: aclEntries(body),
        registered: bool(body, 'registered'),
        modifiedAt: num(body, 'modified_at'),
      };
    },

    async list(lpath, options) {
      const body = await get('list', lpath, { lpath, recurse: options?.recurse ?? false });
      return strings(body, 'entries');
    },

    async rename(oldLpath, newLpath) {
      await post('rename', oldLpath, { 'old-lpath': oldLpath, 'new-lpath': newLpath });
    },

    async touch(lpath) {
      await post('touch', lpath, { lpath });
    },

    async setInheritance(lpath, enable, options) {
      await post('set_inheritance', lpath, { lpath, enable, admin: adminFlag(ctx, options) });
    },

    ...shared,
  };
}
