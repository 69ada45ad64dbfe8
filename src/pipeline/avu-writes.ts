import type { AvuHolderKind, AvuSyncPlan, IrodsClient, MetadataOperation } from '../irods/index.js';

/** AVU operations per modify_metadata request: each request is atomic, and bodies stay small. */
export const AVU_BATCH = 256;

/**
 * Applies an AVU sync plan to one collection or data object: removals first, then additions, in
 * atomic modify_metadata batches as the agent's account (admin=1). Returns how many operations
 * were sent (0: nothing to change, no request made).
 */
export async function applyAvuPlan(
  irods: IrodsClient,
  lpath: string,
  kind: AvuHolderKind,
  plan: AvuSyncPlan,
  batchSize = AVU_BATCH,
): Promise<number> {
  const ops: MetadataOperation[] = [
    ...plan.remove.map((a) => ({ operation: 'remove' as const, ...a })),
    ...plan.add.map((a) => ({ operation: 'add' as const, ...a })),
  ];
  for (let i = 0; i < ops.length; i += batchSize) {
    const batch = ops.slice(i, i + batchSize);
    if (kind === 'collection') await irods.collections.modifyMetadata(lpath, batch, { admin: true });
    else await irods.dataObjects.modifyMetadata(lpath, batch, { admin: true });
  }
  return ops.length;
}
