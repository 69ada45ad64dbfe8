import PQueue from 'p-queue';
import { avusUnder, planAvuSync, type Avu } from '../../irods/index.js';
import { applyAvuPlan } from '../avu-writes.js';
import {
  localId,
  mapTransferToAvus,
  OME_AVU_PREFIX,
  omeTiffCandidates,
  OmeTiffError,
  readOmeTiffMetadata,
  type OmeXmlMetadata,
  type ScopeType,
  type TransferModel,
} from '../../ome/index.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepFailure } from '../step-errors.js';
import { loadTransferXml } from './transfer-xml.js';

export interface MetadataOptions {
  /** AVU operations per modify_metadata request (each request is atomic). */
  readonly batchSize?: number;
  /** Objects whose AVUs are written at once. */
  readonly concurrency?: number;
}

/** Runs every task on the queue and throws the first failure once all have settled. */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(tasks)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
}

/**
 * Attaches the OME metadata of transfer.xml (and of OME-TIFF headers) as AVUs under `omero.`,
 * per docs/avu-mapping.md. Idempotent: the tree's current `omero.` AVUs are read in bulk and only
 * the difference is sent (stale ones removed, missing ones added, users' own AVUs never touched),
 * in batched atomic modify_metadata requests. A transfer.xml that cannot be parsed fails this
 * step alone (the files are already expanded and permitted); replay it once the cause is fixed.
 */
export function metadataStep(options: MetadataOptions = {}) {
  const batchSize = options.batchSize ?? 256;
  const concurrency = options.concurrency ?? 8;

  return async function metadata(ctx: StepContext): Promise<StepResult> {
    const root = ctx.job.target_path;
    if (!root) throw new StepFailure('no_target', 'The archive has not been expanded, so there is nothing to attach metadata to.');
    const loaded = await loadTransferXml(ctx, root);
    if (loaded.state === 'absent') return { detail: { skipped: 'the archive has no transfer.xml' } };
    if (loaded.state === 'invalid') {
      throw new StepFailure('transfer_xml_invalid', `transfer.xml could not be read, so no OMERO metadata was attached: ${loaded.error.message}`, {
        entry: 'transfer.xml',
      });
    }
    const { model } = loaded;

    const present = new Set([...(await ctx.recordedEntries()).values()].filter((e) => e.state === 'written').map((e) => e.path));
    const { omeTiff, warnings: tiffWarnings } = await readOmeTiffHeaders(ctx, root, model, present);
    const targets = mapTransferToAvus(model, { omeTiff });
    // On a first run this finds nothing; on a replay it is what makes the writes a diff.
    const current = await avusUnder(ctx.irods.query, root, OME_AVU_PREFIX, { signal: ctx.signal });

    // Objects transfer.xml describes but the archive lacked (an `incomplete` archive) get nothing;
    // objects that carry stale `omero.` AVUs but are no longer described lose them.
    const wanted = new Map<string, Avu[]>();
    let absent = 0;
    for (const t of targets) {
      if (t.path !== '' && !present.has(t.path)) {
        absent += 1;
        continue;
      }
      wanted.set(t.path === '' ? root : `${root}/${t.path}`, [...t.avus]);
    }
    for (const lpath of current.keys()) if (!wanted.has(lpath)) wanted.set(lpath, []);

    const kinds = new Map([...current].map(([lpath, { kind }]) => [lpath, kind]));
    for (const t of targets) kinds.set(t.path === '' ? root : `${root}/${t.path}`, t.kind);
    const queue = new PQueue({ concurrency });
    const writes: Promise<unknown>[] = [];
    let added = 0;
    let removed = 0;
    const audit: { action: string; lpath: string; detail: Record<string, unknown> }[] = [];
    for (const [lpath, desired] of wanted) {
      const plan = planAvuSync(current.get(lpath)?.avus ?? [], desired, [OME_AVU_PREFIX]);
      if (!plan.add.length && !plan.remove.length) continue;
      const kind = kinds.get(lpath) === 'collection' ? 'collection' : 'data_object';
      writes.push(queue.add(() => applyAvuPlan(ctx.irods, lpath, kind, plan, batchSize)));
      added += plan.add.length;
      removed += plan.remove.length;
      audit.push({ action: 'modify_metadata', lpath, detail: { added: plan.add.length, removed: plan.remove.length } });
    }
    // Every write settles before the first failure is the step's: writes are idempotent, so a
    // retry converges; the audit records what was asked only once all of it landed.
    await settleAll(writes);
    await ctx.auditBatch(audit);

    const warnings = [...tiffWarnings];
    if (absent) warnings.push(`${absent} object(s) described by transfer.xml are not in the archive; their metadata was not attached.`);
    if (warnings.length) await ctx.flag([], warnings);
    return {
      detail: {
        objects: wanted.size,
        objects_changed: audit.length,
        avus_added: added,
        avus_removed: removed,
        ome_tiff_read: omeTiff.size,
        summary: summarise(model),
      },
    };
  };
}

/** OME-XML from the first IFD of the OME-TIFFs the archive holds: a few small ranged reads each. */
async function readOmeTiffHeaders(
  ctx: StepContext,
  root: string,
  model: TransferModel,
  present: ReadonlySet<string>,
): Promise<{ omeTiff: Map<string, OmeXmlMetadata>; warnings: string[] }> {
  const omeTiff = new Map<string, OmeXmlMetadata>();
  const warnings: string[] = [];
  const queue = new PQueue({ concurrency: 4 });
  const reads: Promise<unknown>[] = [];
  for (const path of omeTiffCandidates(model).filter((p) => present.has(p))) {
    reads.push(queue.add(async () => {
      try {
        const source = await ctx.irods.dataObjects.openRanged(`${root}/${path}`, { readAheadBytes: 0 });
        const found = await readOmeTiffMetadata(source, { maxXmlBytes: ctx.config.limits.maxXmlBytes });
        if (found) omeTiff.set(path, found);
      } catch (err) {
        if (!(err instanceof OmeTiffError)) throw err;
        warnings.push(`The OME-TIFF header of ${path} could not be read (${err.message}); its channels and pixel sizes are missing.`);
      }
    }));
  }
  await settleAll(reads);
  return { omeTiff, warnings };
}

/** What the archives feed shows OMERO-side tools about the expanded data. */
function summarise(model: TransferModel): Record<string, unknown> {
  // Local ids, as the AVUs spell them (Project:1 → 1).
  const named = (type: ScopeType, items: readonly { id: string; name?: string | undefined }[]) =>
    items.map((i) => ({ id: localId(type, i.id), name: i.name ?? null }));
  const origin = model.provenance[0];
  return {
    projects: named('project', model.projects),
    datasets: named('dataset', model.datasets),
    screens: named('screen', model.screens),
    plates: named('plate', model.plates),
    images: model.images.length,
    rois: model.rois.length,
    annotations: model.annotations.length,
    origin: origin
      ? {
          host: origin.originHostname ?? null,
          user: origin.originalUser ?? null,
          group: origin.originalGroup ?? null,
          packed_at: origin.packingTimestamp ?? origin.packingTimestampRaw ?? null,
          software: origin.software ?? null,
          version: origin.version ?? null,
        }
      : null,
  };
}
