import { latestGoodReplica, listReplicas, type ReplicaInfo } from '../../irods/index.js';
import type { StepContext } from '../step-context.js';
import { StepNotReady } from '../step-errors.js';

/**
 * The replica of the archive the agent reads: a good one, the latest (whose size the API's stat
 * reports), never a stale, intermediate or locked one, on whatever resource it lives. Every
 * ranged read of one step is pinned to it (`replica-number`), so that a write to another replica
 * during the expansion cannot mix two versions of the archive into one tree.
 */
export async function readableArchiveReplica(ctx: StepContext, lpath: string): Promise<ReplicaInfo> {
  const replica = latestGoodReplica(await listReplicas(ctx.irods.query, lpath, ctx.signal));
  if (!replica) throw new StepNotReady('no good replica yet', Math.max(1_000, ctx.config.workers.stableSeconds * 1000));
  return replica;
}
