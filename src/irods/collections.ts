import type { ClientContext } from './client-context.js';
import { aclEntries, bool, num, strings } from './response-fields.js';
import { adminFlag, createSharedOperations } from './shared-operations.js';
import type { CollectionStat, CollectionsApi } from './types.js';

/** /collections operations (API.md "Collection Operations"). */
export function createCollectionsApi(ctx: ClientContext): CollectionsApi {
  const t = ctx.transport;
  const endpoint = 'collections';
  const shared = createSharedOperations(ctx, endpoint);

  return {
    async create(lpath, options) {
      const body = await t.json({
        method: 'POST',
        endpoint,
        op: 'create',
        lpath,
        params: { lpath, 'create-intermediates': options?.intermediates ?? false },
      });
      return { created: bool(body, 'created') };
    },

    async remove(lpath, options) {
      await t.json({
        method: 'POST',
        endpoint,
        op: 'remove',
        lpath,
        params: { lpath, recurse: options?.recurse ?? false, 'no-trash': options?.noTrash ?? false },
      });
    },

    async stat(lpath): Promise<CollectionStat> {
      const body = await t.json({ method: 'GET', endpoint, op: 'stat', lpath, params: { lpath }, idempotent: true });
      return {
        type: 'collection',
        inheritanceEnabled: bool(body, 'inheritance_enabled'),
        permissions: aclEntries(body),
        registered: bool(body, 'registered'),
        modifiedAt: num(body, 'modified_at'),
      };
    },

    async list(lpath, options) {
      const body = await t.json({
        method: 'GET',
        endpoint,
        op: 'list',
        lpath,
        params: { lpath, recurse: options?.recurse ?? false },
        idempotent: true,
      });
      return strings(body, 'entries');
    },

    async rename(oldLpath, newLpath) {
      await t.json({
        method: 'POST',
        endpoint,
        op: 'rename',
        lpath: oldLpath,
        params: { 'old-lpath': oldLpath, 'new-lpath': newLpath },
      });
    },

    async touch(lpath) {
      await t.json({ method: 'POST', endpoint, op: 'touch', lpath, params: { lpath } });
    },

    async setInheritance(lpath, enable, options) {
      await t.json({
        method: 'POST',
        endpoint,
        op: 'set_inheritance',
        lpath,
        params: { lpath, enable, admin: adminFlag(ctx, options) },
      });
    },

    ...shared,
  };
}
