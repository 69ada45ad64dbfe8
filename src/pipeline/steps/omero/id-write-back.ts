import type { OmeroServer } from '../../../config/index.js';
import { avusUnder, planAvuSync, type Avu } from '../../../irods/index.js';
import { isRegistrationAttributeOf, OMERO_ID_PREFIX, registrationAvus } from '../../../omero/index.js';
import { applyAvuPlan } from '../../avu-writes.js';
import type { StepContext } from '../../step-context.js';
import type { RegistrationDetail } from './registration-detail.js';

/**
 * Writes the ids as AVUs: the tree's current `irods_omero_agent::omero_*` AVUs are read in bulk,
 * and each object gets, in one atomic modify_metadata, the removal of what is stale and the
 * addition of what is missing. A replay that changes nothing sends nothing.
 */
export async function writeIds(
  ctx: StepContext,
  root: string,
  target: OmeroServer,
  detail: RegistrationDetail,
  kindOf: (path: string) => 'collection' | 'data_object',
  batchSize: number,
): Promise<void> {
  const targets = registrationAvus(detail, { server: detail.server, mode: detail.mode, registeredAt: detail.registered_at, in: target }, kindOf);
  // Other servers' attributes share the prefix and are left out, so they are never touched.
  const current = await avusUnder(ctx.irods.query, root, OMERO_ID_PREFIX, { signal: ctx.signal, keep: (attribute) => isRegistrationAttributeOf(attribute, target) });
  const wanted = new Map<string, { kind: 'collection' | 'data_object'; avus: readonly Avu[] }>();
  for (const t of targets) wanted.set(t.path === '' ? root : `${root}/${t.path}`, { kind: t.kind, avus: t.avus });
  for (const [lpath, { kind }] of current) if (!wanted.has(lpath)) wanted.set(lpath, { kind, avus: [] });

  const audit: { action: string; lpath: string; detail: Record<string, unknown> }[] = [];
  for (const [lpath, { kind, avus }] of wanted) {
    const plan = planAvuSync(current.get(lpath)?.avus ?? [], avus, [OMERO_ID_PREFIX]);
    if (!plan.add.length && !plan.remove.length) continue;
    await applyAvuPlan(ctx.irods, lpath, kind, plan, batchSize);
    audit.push({ action: 'modify_metadata', lpath, detail: { added: plan.add.length, removed: plan.remove.length, namespace: OMERO_ID_PREFIX } });
  }
  if (audit.length) await ctx.auditBatch(audit);
}
