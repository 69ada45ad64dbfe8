import PQueue from 'p-queue';
import { IrodsError, isNotFound } from '../../irods/errors.js';
import { readTreeAcls, type ObjectAcl, type TreeAcls } from '../../irods/index.js';
import type { IrodsEntityLookup } from '../../users/index.js';
import { checkUploader } from '../../users/index.js';
import {
  lookupSameNames,
  NoGroupMappingError,
  NoUserMappingError,
  operationsToApply,
  planPermissions,
  PlanInputError,
  type AclBatch,
  type PermissionPlan,
  type PlanPermissionsInput,
  type PlanWarning,
} from '../../users/index.js';
import type { StepContext, StepHandler } from '../step-context.js';
import { StepFailure } from '../step-errors.js';
import { checkPlannedEntities } from './planned-entities.js';
import { readArchiveProvenance, type ArchiveProvenance } from './transfer-provenance.js';
import type { UserMapSource } from './user-map-source.js';

export interface PermissionsOptions {
  /** The admin's mapping (AGENT_USER_MAP, reloaded on change) or the defaults. */
  readonly userMap: UserMapSource;
  /** ACL requests in flight at once (default 8): one lpath per request is all the API offers. */
  readonly concurrency?: number;
}

type AuditRow = { action: string; lpath: string; detail?: Record<string, unknown> };

const AUDIT_FLUSH_ROWS = 500;
const CANCEL_CHECK_MS = 500;

/**
 * Grants the people an expanded archive belongs to access to it (docs/user-mapping.md): the
 * uploader, the original OMERO owner and group mapped through the admin's file, and the prefix
 * rules; inheritance on the tree's collections so later additions follow. The tree is listed
 * from the job's entry rows (no listing in iRODS), the current ACLs are read in bulk with
 * GenQuery, and only the difference is sent, so a replay sends nothing. The archive data object
 * itself is never touched.
 */
export function permissionsStep(options: PermissionsOptions): StepHandler {
  const concurrency = options.concurrency ?? 8;

  return async function permissions(ctx: StepContext) {
    // One mapping for the whole run, even if the file is reloaded meanwhile.
    const map = options.userMap.current();
    const root = ctx.job.target_path;
    if (!root) {
      throw new StepFailure('no_target', 'The archive has no expanded collection yet, so there is nothing to grant access to; replay the job from expand.');
    }
    const uploader = ctx.archive.uploader;
    if (!uploader) {
      throw new StepFailure('no_uploader', `The event for ${ctx.archive.logical_path} named no uploader, so the agent cannot tell who must keep access.`);
    }

    const rows = await ctx.recordedEntries();
    const collections: string[] = [];
    const dataObjects: string[] = [];
    for (const row of rows.values()) {
      if (row.path === '') continue;
      if (row.kind === 'directory') collections.push(`${root}/${row.path}`);
      else if (row.state === 'written') dataObjects.push(`${root}/${row.path}`);
    }
    const transferXml = rows.get('transfer.xml');
    const provenance = await readArchiveProvenance(ctx, root, transferXml?.kind === 'file' && transferXml.state === 'written');
    if (provenance.problem) ctx.log.warn({ problem: provenance.problem }, 'transfer.xml cannot be parsed; original owners unknown');

    const uploaderCheck = await checkUploader(ctx.irods, ctx.archive.logical_path, uploader, ctx.config.irods.zone);
    const lookup: IrodsEntityLookup = (name, zone) => ctx.irods.users.stat(name, zone === undefined ? undefined : { zone });
    const knownIrodsNames = await lookupSameNames(map, provenance.owners, lookup);
    const plan = planOrFail({
      map,
      localZone: ctx.config.irods.zone,
      serviceAccount: ctx.config.irods.username,
      archive: ctx.archive.logical_path,
      root,
      collections,
      dataObjects,
      uploader,
      uploaderUnverified: uploaderCheck.verified ? undefined : uploaderCheck.reason,
      provenance: provenance.owners,
      knownIrodsNames,
    });
    const grantees = await checkPlannedEntities(ctx.irods, plan);

    // Who gets what and why, with the mapping that decided it, before anything changes.
    await ctx.auditBatch(
      plan.decisions.map((d) => ({
        action: 'permission_decision',
        lpath: d.appliesTo,
        detail: {
          subject: d.subject,
          omero_name: d.omeroName ?? null,
          entity: d.entityName ?? null,
          entity_kind: d.entityKind ?? null,
          acl: d.acl ?? null,
          rule: d.rule,
          reason: d.reason,
          user_map: plan.map.source ?? null,
          user_map_digest: plan.map.digest,
        },
      })),
    );

    const applied = await applyPlan(ctx, plan, concurrency);

    const warnings = warningsFor(plan, provenance);
    if (warnings.length) {
      await ctx.flag(
        flagsFor(warnings, provenance),
        warnings.map((w) => w.message),
      );
    }
    ctx.log.info(
      {
        user_map: plan.map.source,
        user_map_digest: plan.map.digest,
        grantees,
        objects: plan.batches.length,
        changed: applied.changed,
        warnings: warnings.map((w) => w.code),
      },
      applied.changed ? 'permissions applied' : 'permissions already right; nothing changed',
    );
    return {
      detail: {
        root,
        user_map: plan.map.source ?? null,
        user_map_digest: plan.map.digest,
        provenance: provenance.source,
        collections: collections.length + 1,
        data_objects: dataObjects.length,
        grantees,
        ...applied,
        warnings: warnings.map((w) => w.code),
        decisions: plan.decisions.map((d) => ({
          subject: d.subject,
          omero_name: d.omeroName ?? null,
          entity: d.entityName ?? null,
          acl: d.acl ?? null,
          rule: d.rule,
        })),
      },
    };
  };
}

/** planPermissions, with its refusals as step failures an admin can act on. */
function planOrFail(input: PlanPermissionsInput): PermissionPlan {
  try {
    return planPermissions(input);
  } catch (err) {
    if (err instanceof NoUserMappingError || err instanceof NoGroupMappingError) {
      // Not retryable as is: the admin edits the mapping (reloaded live), then replays.
      throw new StepFailure(err.code, err.message, { retryable: false, cause: err });
    }
    if (err instanceof PlanInputError) {
      throw new StepFailure(err.code, `Cannot plan permissions for this archive: ${err.message}`, { retryable: false, cause: err });
    }
    throw err;
  }
}

/** The plan's warnings; an unparsable transfer.xml is named as such rather than as "no owner". */
function warningsFor(plan: PermissionPlan, provenance: ArchiveProvenance): PlanWarning[] {
  if (provenance.source !== 'unreadable') return [...plan.warnings];
  return plan.warnings.map((w) =>
    w.code === 'no_provenance'
      ? { ...w, message: `transfer.xml cannot be parsed (${provenance.problem ?? 'unknown reason'}), so the original OMERO owners are unknown; only the uploader was given access` }
      : w,
  );
}

/** Warning codes become flags, except no_provenance of an archive already flagged no_transfer_xml. */
function flagsFor(warnings: readonly PlanWarning[], provenance: ArchiveProvenance): string[] {
  const codes = new Set(warnings.map((w) => w.code));
  if (provenance.source === 'absent') codes.delete('no_provenance');
  return [...codes];
}

interface ApplyOutcome {
  /** How current ACLs were read: one bulk GenQuery read, or a stat per object. */
  readonly acl_read: 'genquery' | 'stat';
  readonly query_rows: number;
  /** Objects statted (not covered by the bulk read). */
  readonly stats: number;
  /** Objects whose ACL or inheritance changed. */
  readonly changed: number;
  readonly modify_permissions: number;
  readonly set_permission: number;
  readonly set_inheritance: number;
  /** Objects of the entry rows that are no longer in iRODS. */
  readonly missing: number;
}

/**
 * Brings every object of the plan to its planned ACL, a bounded number of requests at a time.
 * The first failure stops the rest (already applied changes stay: the next run's diff skips
 * them). Every change is audited, in batches.
 */
async function applyPlan(ctx: StepContext, plan: PermissionPlan, concurrency: number): Promise<ApplyOutcome> {
  let tree: TreeAcls | undefined;
  try {
    tree = await readTreeAcls(ctx.irods.query, plan.root, ctx.signal);
  } catch (err) {
    if (err instanceof IrodsError && err.retryable) throw err;
    // A catalog that refuses these columns still answers stat: slower, same result.
    ctx.log.warn({ err }, "cannot read the tree's ACLs with GenQuery; reading them one stat at a time");
  }
  const inheritance = new Set(plan.inheritance);
  const counts = { stats: 0, changed: 0, modify_permissions: 0, set_permission: 0, set_inheritance: 0, missing: 0 };
  let pending: AuditRow[] = [];
  const flush = async (force: boolean): Promise<void> => {
    if (!force && pending.length < AUDIT_FLUSH_ROWS) return;
    const rows = pending;
    pending = [];
    await ctx.auditBatch(rows);
  };

  const applyBatch = async (batch: AclBatch): Promise<void> => {
    ctx.signal.throwIfAborted();
    const known = (batch.kind === 'collection' ? tree?.collections : tree?.dataObjects)?.get(batch.lpath);
    const current = known ?? (await statAcl(ctx, batch));
    if (!known) counts.stats += 1;
    if (!current) {
      counts.missing += 1;
      return;
    }
    const ops = operationsToApply(plan, batch, current.permissions);
    const api = batch.kind === 'collection' ? ctx.irods.collections : ctx.irods.dataObjects;
    const enable = batch.kind === 'collection' && inheritance.has(batch.lpath) && !current.inheritance;
    if (!ops.modifyPermissions.length && !ops.setPermission.length && !enable) return;
    try {
      if (ops.modifyPermissions.length) {
        // One atomic request per object: all of its operations apply, or none.
        await api.modifyPermissions(batch.lpath, ops.modifyPermissions, { admin: true });
        counts.modify_permissions += 1;
        pending.push({ action: 'modify_permissions', lpath: batch.lpath, detail: { operations: ops.modifyPermissions, admin: true } });
      }
      for (const op of ops.setPermission) {
        await api.setPermission(batch.lpath, op.entityName, op.acl, { admin: true });
        counts.set_permission += 1;
        pending.push({ action: 'set_permission', lpath: batch.lpath, detail: { entity: op.entityName, acl: op.acl, admin: true } });
      }
      if (enable) {
        await ctx.irods.collections.setInheritance(batch.lpath, true, { admin: true });
        counts.set_inheritance += 1;
        pending.push({ action: 'set_inheritance', lpath: batch.lpath, detail: { enable: true, admin: true } });
      }
      counts.changed += 1;
    } catch (err) {
      // Removed since expansion (by its owner, say): nothing left to protect.
      if (!isNotFound(err)) throw err;
      counts.missing += 1;
    }
  };

  const queue = new PQueue({ concurrency });
  let failure: Error | undefined;
  let lastCancelCheck = 0;
  try {
    for (const batch of plan.batches) {
      if (Date.now() - lastCancelCheck > CANCEL_CHECK_MS) {
        lastCancelCheck = Date.now();
        await ctx.checkCancelled();
      }
      await queue.onSizeLessThan(concurrency);
      if (failure) break;
      void queue.add(() => applyBatch(batch)).catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
        queue.clear();
      });
      await flush(false);
    }
    await queue.onIdle();
  } finally {
    // After a failure or a cancel: let requests in flight land, and audit what they changed.
    queue.clear();
    await queue.onIdle();
    await flush(true);
  }
  if (failure) throw failure;
  if (counts.missing) ctx.log.warn({ missing: counts.missing }, 'objects of the expanded tree are gone from iRODS; skipped');
  return { acl_read: tree ? 'genquery' : 'stat', query_rows: tree?.rows ?? 0, ...counts };
}

async function statAcl(ctx: StepContext, batch: AclBatch): Promise<ObjectAcl | undefined> {
  try {
    if (batch.kind === 'collection') {
      const s = await ctx.irods.collections.stat(batch.lpath);
      return { permissions: s.permissions, inheritance: s.inheritanceEnabled };
    }
    const s = await ctx.irods.dataObjects.stat(batch.lpath);
    return { permissions: s.permissions, inheritance: false };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
