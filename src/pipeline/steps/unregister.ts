import { passwordSetting } from '../omero-session-options.js';
import { omeroServerNames } from '../../config/index.js';
import { collectionAvus } from '../../irods/index.js';
import { OMERO_ID_PREFIX, OmeroCliError, openOmeroSession, removeRegistration, type OmeroSession, type RemovedRegistration } from '../../omero/index.js';
import type { JobStepRow, lifecycle } from '../../store/index.js';
import { applyAvuPlan } from '../avu-writes.js';
import { clearBrokenRegistration } from '../broken-registration.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepFailure } from '../step-errors.js';
import type { RegistrationRecords } from '../unregister/registration-records.js';
import { omeroServerTarget, type OmeroServerTarget } from '../unregister/server-target.js';
import { isRegistered, treeRegistration, type TreeRegistration } from '../unregister/tree-registration.js';
import { finalize } from './finalize.js';

export interface UnregisterStepOptions {
  /** AVU operations per modify_metadata request (each request is atomic). */
  readonly batchSize?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the operator asked: this run's request, or (a replay of an unregister run) the latest one
 * of an earlier run.
 */
function requestOf(history: readonly JobStepRow[], run: number): lifecycle.UnregisterRequest | undefined {
  const rows = history.filter((s) => s.step === 'unregister' && s.run <= run && isRecord(s.detail.request)).sort((a, b) => b.run - a.run);
  const request = rows[0]?.detail.request;
  if (!isRecord(request) || typeof request.server !== 'string') return undefined;
  return request as unknown as lifecycle.UnregisterRequest;
}

/**
 * `omero unregister`: removes an expanded tree's registration in one OMERO server. OMERO first
 * (its Images, then the containers the registration made that are empty now), and only once
 * OMERO has deleted them, the registration AVUs on the tree (that server's only, one atomic
 * modify_metadata per object), so the AVUs never claim less than OMERO holds; then the broken
 * mark on the archive and its breaks (when no registration is left), the annotation sync's
 * records, and the archive's status (finalize's `expanded` again).
 *
 * Idempotent: a retry or a replay reads the AVUs again; what OMERO no longer has is skipped;
 * a tree with nothing left to remove ends at once with `outcome: not_registered`.
 */
export function unregisterStep(records: RegistrationRecords, options: UnregisterStepOptions = {}) {
  const batchSize = options.batchSize ?? 256;

  return async function unregister(ctx: StepContext): Promise<StepResult> {
    const request = requestOf(await ctx.stepHistory(), ctx.job.run);
    if (!request) {
      throw new StepFailure('unregister_not_requested', 'No unregister request was recorded for this job: ask with irods-omero-agent omero unregister <path>.');
    }
    const server = omeroServerTarget(ctx.config, request.server);
    if (!server) {
      throw new StepFailure(
        'omero_unknown_server',
        `The OMERO server "${request.server}" is not in this agent's configuration (known: ${omeroServerNames(ctx.config).join(', ')}), so nothing was unregistered.`,
      );
    }
    const root = ctx.job.target_path;
    if (!root) throw new StepFailure('no_target', 'The archive has not been expanded, so nothing of it is registered in OMERO.');
    const log = ctx.log.child({ omero_server: server.name, requested_by: request.requested_by });
    const base = { server: server.name, address: server.address, requested_by: request.requested_by };

    const found = await treeRegistration(ctx.irods, root, server).catch((err: unknown) => {
      if (err instanceof RangeError) throw new StepFailure('unsupported_path', `${root} holds a single quote, which GenQuery1 cannot ask about, so its registration cannot be read.`);
      throw err;
    });
    if (!isRegistered(found)) {
      log.info('nothing registered in this server; unregister is a no-op');
      // An earlier attempt may have removed the AVUs and stopped before what follows them.
      const cleared = await clearRecords(ctx, records, server, root);
      const done = await finalize(ctx);
      return {
        detail: {
          ...done.detail,
          omero_unregister: { ...base, outcome: 'not_registered', message: `${root} carries no registration in the OMERO server "${server.name}": nothing to do.`, ...cleared },
        },
        archiveStatus: 'expanded',
      };
    }
    if (found.address !== undefined && found.address !== server.address) {
      throw new StepFailure(
        'omero_other_server',
        `${root} was registered in OMERO at ${found.address}, but the server "${server.name}" is ${server.address} now: its objects cannot be deleted from here. Nothing was changed.`,
      );
    }
    await ctx.recordDetail({ omero_unregister: { ...base, outcome: 'deleting', registered: found.ids, mode: found.mode ?? null, registered_at: found.registeredAt ?? null } });

    const removed = await deleteInOmero(ctx, server, found, log);
    await ctx.audit('omero_delete', root, { server: server.name, address: server.address, deleted: removed.deleted_counts, already_gone: removed.already_gone.length, kept: removed.kept });

    const audit: { action: string; lpath: string; detail: Record<string, unknown> }[] = [];
    for (const object of found.objects) {
      await applyAvuPlan(ctx.irods, object.lpath, object.kind, { add: [], remove: [...object.avus] }, batchSize);
      audit.push({ action: 'modify_metadata', lpath: object.lpath, detail: { removed: object.avus.length, namespace: OMERO_ID_PREFIX, server: server.name } });
    }
    await ctx.auditBatch(audit);

    const detail = {
      ...base,
      outcome: 'unregistered',
      mode: found.mode ?? null,
      registered_at: found.registeredAt ?? null,
      registered: found.ids,
      omero: removed,
      irods: { objects: found.objects.length, avus_removed: found.objects.reduce((n, o) => n + o.avus.length, 0) },
      ...(await clearRecords(ctx, records, server, root)),
    };
    log.info({ images: found.ids.images.length, objects: found.objects.length, already_gone: removed.already_gone.length, kept: removed.kept.length }, 'archive unregistered from OMERO');
    const done = await finalize(ctx);
    return { detail: { ...done.detail, omero_unregister: detail }, archiveStatus: 'expanded' };
  };
}

/**
 * What goes with the registration's AVUs: the broken mark on the archive and its breaks, once no
 * registration is left on the tree (the mark is about OMERO reading it in place), and the
 * annotation sync's records for the tree on that server.
 */
async function clearRecords(
  ctx: StepContext,
  records: RegistrationRecords,
  server: OmeroServerTarget,
  root: string,
): Promise<{ breaks_cleared: number; annotation_records_forgotten: number }> {
  const othersLeft = (await collectionAvus(ctx.irods.query, root, OMERO_ID_PREFIX)).length > 0;
  let breaksCleared = 0;
  if (!othersLeft) {
    if (await clearBrokenRegistration(ctx.irods, ctx.archive.logical_path)) await ctx.audit('modify_metadata', ctx.archive.logical_path, { removed: 'registration mark' });
    breaksCleared = await records.clearBreaks(ctx.job.id, ctx.job.run);
  }
  return { breaks_cleared: breaksCleared, annotation_records_forgotten: await records.forgetAnnotations(server.address, root) };
}

async function deleteInOmero(ctx: StepContext, server: OmeroServerTarget, found: TreeRegistration, log: StepContext['log']): Promise<RemovedRegistration> {
  const { password } = server.sessionOptions(log);
  if (password === undefined || password === '') {
    throw new StepFailure('omero_login_refused', `No password is set for the OMERO server "${server.name}" (${passwordSetting(ctx.config, server.name)}), so the agent cannot log in to delete its objects. Nothing was changed.`);
  }
  let session: OmeroSession | undefined;
  try {
    session = await openOmeroSession(server.sessionOptions(log, ctx.signal));
    return await removeRegistration(session.cli, found.ids, { signal: ctx.signal, deleteTimeoutMs: ctx.config.omero.timeoutSeconds * 1000 });
  } catch (err) {
    if (!(err instanceof OmeroCliError)) throw err;
    log.warn({ command: err.details.command, code: err.code, exit_code: err.exitCode, stderr_tail: err.stderrTail }, 'omero cli call failed');
    await ctx.recordDetail({ omero_cli_error: { attempt: ctx.attempt, command: err.details.command, code: err.code, exit_code: err.exitCode, stderr_tail: err.stderrTail } });
    throw unregisterFailure(err);
  } finally {
    await session?.close();
  }
}

/** The step's code for each of the CLI's (a new one must be named here: the type says so). */
const STEP_CODES: Readonly<Record<OmeroCliError['code'], string>> = {
  unreachable: 'omero_unreachable',
  timeout: 'omero_timeout',
  aborted: 'omero_interrupted',
  object_missing: 'omero_object_missing',
  login_refused: 'omero_login_refused',
  cli_missing: 'omero_cli_missing',
  runs_as_root: 'omero_cli_as_root',
  usage: 'omero_cli_usage',
  transfer_plugin_missing: 'omero_cli_usage',
  bad_query: 'omero_query_refused',
  failed: 'omero_cli_failed',
  permission_denied: 'omero_cli_failed',
  folder_missing: 'omero_cli_failed',
};

/**
 * Refusals that trying again may mend: OMERO away, slow or interrupted, or an object deleted
 * by someone between the look-up and the delete (the retry looks again).
 */
const RETRYABLE: ReadonlySet<OmeroCliError['code']> = new Set(['unreachable', 'timeout', 'aborted', 'object_missing']);

/** The step's failure for what OMERO said; the AVUs are untouched in every case. */
function unregisterFailure(err: OmeroCliError): StepFailure {
  const mapped = STEP_CODES[err.code];
  const retryable = RETRYABLE.has(err.code);
  const code = mapped === 'omero_cli_failed' && err.details.command === 'delete' ? 'omero_delete_refused' : mapped;
  const message = `${err.message} The registration AVUs were left in iRODS.${retryable ? ' The agent will try again.' : ''}`;
  return new StepFailure(code, message, { retryable, cause: err });
}
