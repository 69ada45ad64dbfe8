import { formatBytes } from '../../archive/index.js';
import { goodObjectsUnder, logicalQuotasOver, type LogicalQuota } from '../../irods/index.js';
import type { StepContext } from '../step-context.js';
import { StepFailure } from '../step-errors.js';

/** What an expansion will add under its target. */
export interface ExpansionSize {
  readonly files: number;
  readonly bytes: number;
}

const count = (n: number): string => n.toLocaleString('en');

/**
 * Compares what the expansion will add with the logical quotas (the logical_quotas plugin's AVUs)
 * on the target's parent and every collection above it, before anything is written: the plugin
 * refuses a write once a total would pass its maximum (handler.cpp:
 * throw_if_maximum_*_violation, `total + delta > maximum`), which would leave a half-written
 * tree. Files already under the target (a resumed run) are counted in the totals already, so
 * only the rest is added. The first quota that would be passed fails the job as `quota_exceeded`.
 */
export async function checkLogicalQuotas(ctx: StepContext, target: string, size: ExpansionSize): Promise<LogicalQuota[]> {
  const parent = target.slice(0, target.lastIndexOf('/')) || '/';
  const quotas = await logicalQuotasOver(ctx.irods.query, parent, ctx.config.irods.logicalQuotasNamespace, ctx.signal);
  if (quotas.length === 0) return quotas;
  const present = [...(await goodObjectsUnder(ctx.irods.query, target, ctx.signal)).values()];
  const files = Math.max(0, size.files - present.length);
  const bytes = Math.max(0, size.bytes - present.reduce((sum, o) => sum + o.size, 0));
  for (const quota of quotas) {
    const usedFiles = quota.totalObjects ?? 0;
    if (quota.maxObjects !== undefined && usedFiles + files > quota.maxObjects) {
      throw exceeded(
        quota,
        `${count(files)} file(s)`,
        `allows ${count(quota.maxObjects)} data objects (${quota.attributes.maxObjects}) and already holds ${count(usedFiles)}`,
      );
    }
    const usedBytes = quota.totalBytes ?? 0;
    if (quota.maxBytes !== undefined && usedBytes + bytes > quota.maxBytes) {
      throw exceeded(
        quota,
        formatBytes(bytes),
        `allows ${formatBytes(quota.maxBytes)} (${quota.attributes.maxBytes}) and already holds ${formatBytes(usedBytes)}`,
      );
    }
  }
  return quotas;
}

function exceeded(quota: LogicalQuota, adding: string, limit: string): StepFailure {
  return new StepFailure(
    'quota_exceeded',
    `The archive would add ${adding} under ${quota.collection}, whose logical quota ${limit}. Nothing was written. Ask an iRODS administrator to raise the quota or make room, then replay the job.`,
  );
}
