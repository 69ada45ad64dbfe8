import { tmpdir } from 'node:os';
import { isNotFound } from '../../irods/errors.js';
import { avusUnder, collectionAttributeValues, planAvuSync, type AvuHolder } from '../../irods/index.js';
import type { Avu } from '../../irods/types.js';
import { applyAvuPlan } from '../avu-writes.js';
import { parseTransferXml, TransferXmlError, type TransferModel } from '../../ome/index.js';
import {
  diagnoseImportErrors,
  firstImporterWords,
  importedAnything,
  lastReason,
  isRegistrationAttributeOf,
  lookupRegistration,
  mountedPath,
  OMERO_ID_PREFIX,
  OmeroCliError,
  openOmeroSession,
  readUnpackRecord,
  registrationAttribute,
  registrationAvus,
  stageFolder,
  StagingError,
  unpackRecord,
  type OmeroSession,
  type Registration,
  type StagedFolder,
  type UnpackRecord,
  type UnpackRun,
  type ZoneMount,
} from '../../omero/index.js';
import { defaultOmeroServer, type OmeroServer } from '../../config/index.js';
import type { JobStepRow } from '../../store/index.js';
import { omeroSessionOptions } from '../omero-session-options.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepCancelled, StepFailure } from '../step-errors.js';

/** `detail.omero` of a finished step: what the archives feed shows OMERO-side tools. */
interface RegistrationDetail extends Registration {
  readonly server: string;
  readonly user: string;
  readonly group: string | null;
  readonly mode: 'ln_s' | 'upload';
  readonly merge: boolean;
  readonly folder: string;
  readonly registered_at: string;
  readonly run: number;
  readonly kept_from_run?: number;
  readonly import: {
    readonly imports: number;
    readonly images_imported: number;
    readonly import_errors: number;
    readonly no_imports: number;
    /** What the importers said went wrong: only when images are missing (see unpack-record.ts). */
    readonly error_lines?: readonly string[];
  };
}

export interface OmeroStepOptions {
  /** How often a running unpack looks for an administrator's cancel (default 5 s). */
  readonly cancelPollMs?: number;
  /** AVU operations per modify_metadata request (each request is atomic). */
  readonly batchSize?: number;
}

const UPSTREAM_12 =
  'Images it had already imported may be left in OMERO without their names and links: remove them before replaying, or unpack will not recognise the new ones (omero-cli-transfer issue #12).';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The optional OMERO job: registers the expanded archive in OMERO with `omero transfer unpack
 * --folder`, in place (`ln_s`: OMERO links the files where iRODS keeps them, seen through
 * OMERO_IRODS_MOUNT) or as a copy (`upload`), then learns the new OMERO ids (unpack does not
 * print them as a map: see src/omero/registration-lookup.ts) and writes them back as AVUs under
 * `irods_omero_agent::omero_` on the expanded tree and into the step's detail (the archives feed).
 *
 * Idempotent where OMERO allows it: unpack is recorded the moment it finishes, so retries of the
 * same run only look the ids up again; a replay of an archive already registered on this server
 * keeps its ids (OMERO_ON_REPLAY=keep, unless an admin removed the root's
 * `irods_omero_agent::omero_server` AVU to ask for a new registration); AVUs are replaced per
 * object in one atomic request, never duplicated.
 */
export function omeroStep(options: OmeroStepOptions = {}) {
  const cancelPollMs = options.cancelPollMs ?? 5_000;
  const batchSize = options.batchSize ?? 256;

  return async function omero(ctx: StepContext): Promise<StepResult> {
    const cfg = ctx.config.omero;
    const target = defaultOmeroServer(ctx.config);
    const root = ctx.job.target_path;
    if (!root) throw new StepFailure('no_target', 'The archive has not been expanded, so there is nothing to register in OMERO.');
    const server = `${target.host}:${target.port}`;
    const log = ctx.log.child({ omero_server: server, omero_mode: target.mode });

    const model = await readModel(ctx, root);
    if (!model) return { detail: { skipped: 'the archive has no transfer.xml, which omero transfer unpack needs' } };
    refuseUnpackable(model);
    const tree = await expandedTree(ctx);
    const expectedPaths = expectedImagePaths(model, tree);
    const directories = new Set(model.images.flatMap((i) => (i.path?.kind === 'directory' ? [i.path.target] : [])));
    const kindOf = (path: string) => (directories.has(path) ? 'collection' : 'data_object');

    const history = (await ctx.stepHistory()).filter((s) => s.step === 'omero');

    const previous = previousRegistration(history, ctx.job.run, server);
    if (previous && cfg.onReplay === 'keep' && (await rootRecordsServer(ctx, root, target, server))) {
      const kept: RegistrationDetail = { ...previous, run: ctx.job.run, kept_from_run: previous.kept_from_run ?? previous.run };
      await writeIds(ctx, root, target, kept, kindOf, batchSize);
      log.info({ kept_from_run: kept.kept_from_run, images: kept.images.length }, 'archive already registered in OMERO; ids kept');
      return { detail: { omero: kept } };
    }

    if (target.password === undefined || target.password === '') {
      throw new StepFailure('omero_login_refused', 'OMERO_PASSWORD is not set on the agent, so it cannot log in to OMERO.');
    }
    const resumed = currentUnpack(history, ctx.job.run, server, target.mode);
    const mounted = target.irodsMount === undefined ? undefined : folderOnMount(root, { directory: target.irodsMount, collection: target.irodsMountCollection });
    await ctx.checkCancelled();
    let session: OmeroSession | undefined;
    let staged: StagedFolder | undefined;
    let unpacked: UnpackRecord | undefined;
    let crash: OmeroCliError | undefined;
    let registration: Registration;
    try {
      session = await openOmeroSession(omeroSessionOptions(ctx.config, log, ctx.signal, target));
      if (resumed) {
        unpacked = resumed;
        log.info({ images: resumed.image_ids.length }, 'unpack already done in this run; looking the ids up again');
      } else {
        let folder: string;
        if (mounted !== undefined) {
          folder = mounted;
        } else {
          staged = await stage(ctx, root, tree, cfg.stagingDir, cfg.stagingMaxBytes);
          folder = staged.folder;
        }
        const { run, cancelled } = await unpackWatchingCancel(ctx, session, folder, target.mode, cancelPollMs);
        // Recorded before the outcome is judged: what was imported is in OMERO whatever comes next.
        unpacked = unpackRecord(run.report, { server, mode: target.mode, folder, finishedAt: new Date().toISOString(), failure: run.failure?.details });
        await recordDetail(ctx, { omero_unpack: unpacked });
        await ctx.audit('omero_unpack', root, {
          server,
          mode: target.mode,
          folder,
          outcome: unpacked.outcome,
          images: unpacked.image_ids.length,
          import_errors: unpacked.import_errors,
        });
        log.info(
          { folder, outcome: unpacked.outcome, images: unpacked.image_ids.length, import_errors: unpacked.import_errors, staged_bytes: staged?.bytes },
          'omero transfer unpack ended',
        );
        if (cancelled) {
          await ctx.flag([], [`The OMERO import was stopped part way by the cancel. ${UPSTREAM_12}`]);
          throw new StepCancelled();
        }
        // Unpack crashing after its imports (a failed image with ROIs, a failed plate) is judged
        // with what they registered, below; any other failure decides the step now.
        if (run.failure?.code === 'failed') {
          crash = run.failure;
          await recordCliError(ctx, crash, log);
        } else if (run.failure) {
          throw run.failure;
        }
      }
      registration = await lookupRegistration(session.cli, { model, imageIds: unpacked.image_ids, folder: unpacked.folder, expectedPaths, signal: ctx.signal });
    } catch (err) {
      if (err instanceof OmeroCliError) await recordCliError(ctx, err, log);
      throw asStepFailure(err, root, target.irodsMount, unpacked);
    } finally {
      await session?.close();
      await staged?.remove();
    }

    const detail: RegistrationDetail = {
      server,
      user: target.user,
      group: target.group ?? null,
      mode: target.mode,
      merge: cfg.merge,
      folder: unpacked.folder,
      registered_at: unpacked.finished_at,
      run: ctx.job.run,
      import: { imports: unpacked.imports, images_imported: unpacked.images_imported, import_errors: unpacked.import_errors, no_imports: unpacked.no_imports },
      ...registration,
    };
    const expected = model.images.filter((i) => i.path && expectedPaths.has(i.path.target)).length;
    // Nothing registered of what was expected: nothing to record in iRODS (earlier AVUs stay as they were).
    if (registration.images.length > 0 || expected === 0) await writeIds(ctx, root, target, detail, kindOf, batchSize);
    if (registration.images.length < expected || crash) {
      // Unpack exits 0 whatever the imports did: what they said is the only clue, so it is kept.
      await recordDetail(ctx, { omero: { ...detail, import: { ...detail.import, error_lines: unpacked.error_lines } } });
      throw registrationFailure(registration, expected, unpacked, crash);
    }
    if (registration.unmatched_omero_images.length) {
      await ctx.flag([], [`OMERO made ${registration.unmatched_omero_images.length} image(s) that could not be paired with an image of transfer.xml; they are listed in the omero step's detail.`]);
    }
    log.info({ images: registration.images.length, projects: registration.projects.length, datasets: registration.datasets.length }, 'archive registered in OMERO');
    return { detail: { omero: detail } };
  };
}

/**
 * Fewer images registered than the archive holds, or unpack crashing after its imports: how many,
 * which, what the importers said, what to do.
 */
function registrationFailure(registration: Registration, expected: number, unpacked: UnpackRecord, crash: OmeroCliError | undefined): StepFailure {
  const registered = registration.images.length;
  const missing = [...new Set(registration.unmatched_source_images.map((i) => i.path))];
  const said = firstImporterWords(unpacked.error_lines);
  // Imports that found nothing to read (a missing or refused file) left nothing in OMERO to clean up.
  const leftoversPossible = importedAnything(unpacked) || unpacked.import_errors > unpacked.no_imports;
  return new StepFailure(
    registered === 0 ? 'omero_import_failed' : 'omero_import_incomplete',
    [
      `OMERO registered ${registered} of the ${expected} images of this archive` +
        (missing.length ? ` (not registered: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})` : '') +
        `; ${unpacked.import_errors} import error(s) were reported${said ? ` (the importer said: "${said}")` : ''}.`,
      ...(crash ? [unpackCrash(crash)] : []),
      ...(registered ? ['The ids of what was registered are recorded.'] : []),
      ...diagnoseImportErrors(unpacked.error_lines),
      leftoversPossible ? UPSTREAM_12 : 'Nothing was imported, so the job can simply be replayed once this is fixed.',
    ].join(' '),
  );
}

/**
 * Unpack exited non-zero after its imports. omero-cli-transfer stops this way when an image that
 * failed to import has ROIs, or a plate failed to import (generate_omero_objects.py looks their
 * new ids up and gets a KeyError): the names, links and annotations it had still to make are missing.
 */
function unpackCrash(crash: OmeroCliError): string {
  const reason = lastReason(crash.stderrTail);
  const why = /^KeyError\b/.test(reason) ? ': omero-cli-transfer stops like this when an image that failed to import has ROIs, or a plate failed to import' : '';
  return `Then "omero transfer unpack" stopped with an error (${reason || `exit status ${String(crash.exitCode)}`})${why}, so names, links and annotations may be missing in OMERO.`;
}

async function readModel(ctx: StepContext, root: string): Promise<TransferModel | undefined> {
  const maxBytes = ctx.config.limits.maxXmlBytes;
  let xml: Buffer;
  try {
    xml = await ctx.irods.dataObjects.read(`${root}/transfer.xml`, { count: maxBytes + 1, signal: ctx.signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    return parseTransferXml(xml, { maxBytes });
  } catch (err) {
    if (err instanceof TransferXmlError) {
      throw new StepFailure('transfer_xml_invalid', `transfer.xml could not be read, so the archive was not registered in OMERO: ${err.message}`, { entry: 'transfer.xml' });
    }
    throw err;
  }
}

/** What upstream unpack would stumble on, refused before anything is sent to OMERO. */
function refuseUnpackable(model: TransferModel): void {
  if (model.legacy) {
    throw new StepFailure(
      'omero_not_unpackable',
      'This archive was packed by omero-cli-transfer before 1.0; omero transfer unpack no longer reads that form, so it was not registered in OMERO (its files and metadata are in iRODS all the same).',
    );
  }
  const pathless = model.images.filter((i) => !i.path).length;
  if (pathless) {
    throw new StepFailure(
      'omero_not_unpackable',
      `${pathless} image(s) of this archive have no file in it (packed with --binaries none?), which omero transfer unpack cannot import, so it was not registered in OMERO.`,
    );
  }
}

interface ExpandedTree {
  readonly files: ReadonlyMap<string, number>;
  readonly directories: ReadonlySet<string>;
}

/** The files and directories the expand step wrote (archive-relative paths). */
async function expandedTree(ctx: StepContext): Promise<ExpandedTree> {
  const files = new Map<string, number>();
  const directories = new Set<string>();
  for (const e of (await ctx.recordedEntries()).values()) {
    if (e.state !== 'written') continue;
    if (e.kind === 'directory') directories.add(e.path);
    else files.set(e.path, Number(e.size ?? 0));
    for (let slash = e.path.lastIndexOf('/'); slash > 0; slash = e.path.lastIndexOf('/', slash - 1)) directories.add(e.path.slice(0, slash));
  }
  return { files, directories };
}

/** Image paths (files or fileset directories) the expanded archive holds: what unpack can import. */
function expectedImagePaths(model: TransferModel, tree: ExpandedTree): Set<string> {
  const out = new Set<string>();
  for (const image of model.images) {
    const p = image.path;
    if (!p) continue;
    if (p.kind === 'directory' ? tree.directories.has(p.target) : tree.files.has(p.target)) out.add(p.target);
  }
  return out;
}

/** The most recent finished registration of this job on this server, from an earlier run. */
function previousRegistration(history: readonly JobStepRow[], run: number, server: string): RegistrationDetail | undefined {
  const found = history
    .filter((s) => s.run < run && s.state === 'succeeded' && isRecord(s.detail.omero) && s.detail.omero.server === server)
    .sort((a, b) => b.run - a.run)[0];
  const detail = found?.detail.omero;
  if (!isRecord(detail) || !Array.isArray(detail.images) || typeof detail.registered_at !== 'string') return undefined;
  return detail as unknown as RegistrationDetail;
}

/**
 * The unpack this run already finished (a retry after a later failure), if it was for this
 * server and mode. One that failed is not taken: its failure decided the step (not retried once
 * anything may have been imported), so a retry only follows one that never started its work.
 */
function currentUnpack(history: readonly JobStepRow[], run: number, server: string, mode: string): UnpackRecord | undefined {
  const record = readUnpackRecord(history.find((s) => s.run === run)?.detail.omero_unpack);
  if (!record || record.server !== server || record.mode !== mode || record.outcome !== 'finished') return undefined;
  return record;
}

/** Whether the root still says it is registered there: removing the AVU asks for a new registration. */
async function rootRecordsServer(ctx: StepContext, root: string, target: OmeroServer, server: string): Promise<boolean> {
  return (await collectionAttributeValues(ctx.irods.query, root, registrationAttribute('server', target), ctx.signal)).includes(server);
}

/** Where OMERO sees the expanded collection through the mount; refused before anything is sent to OMERO when it cannot. */
function folderOnMount(root: string, mount: ZoneMount): string {
  const folder = mountedPath(root, mount);
  if (folder === undefined) {
    throw new StepFailure(
      'omero_not_mounted',
      `${root} is not under ${mount.collection}, the collection OMERO sees at ${mount.directory} (OMERO_IRODS_MOUNT_COLLECTION, NFSRODS's irods_mount_point), so OMERO cannot read it there. Nothing was registered.`,
    );
  }
  return folder;
}

/** Upload mode without a mount: the CLI uploads from local files, so the tree is copied out of iRODS first. */
async function stage(ctx: StepContext, root: string, tree: ExpandedTree, dir: string | undefined, maxBytes: number): Promise<StagedFolder> {
  return stageFolder({
    parentDir: dir ?? tmpdir(),
    maxBytes,
    files: [...tree.files.entries()].map(([path, size]) => ({ path, size })),
    directories: [...tree.directories],
    open: (path, signal) => ctx.irods.dataObjects.readStream(`${root}/${path}`, { signal }),
    signal: ctx.signal,
  });
}

/** Runs unpack; an administrator's cancel (polled) stops it, like a worker shutdown does. */
async function unpackWatchingCancel(
  ctx: StepContext,
  session: OmeroSession,
  folder: string,
  mode: OmeroServer['mode'],
  pollMs: number,
): Promise<{ run: UnpackRun; cancelled: boolean }> {
  const cfg = ctx.config.omero;
  const cancel = new AbortController();
  let cancelled = false;
  const poll = setInterval(() => {
    ctx.checkCancelled().catch((err: unknown) => {
      if (err instanceof StepCancelled) {
        cancelled = true;
        cancel.abort();
      }
    });
  }, pollMs);
  poll.unref();
  try {
    const run = await session.cli.unpack(folder, {
      lnS: mode === 'ln_s',
      merge: cfg.merge,
      skip: cfg.skip,
      timeoutMs: cfg.timeoutSeconds * 1000,
      signal: AbortSignal.any([ctx.signal, cancel.signal]),
    });
    return { run, cancelled: cancelled && run.failure !== undefined };
  } finally {
    clearInterval(poll);
  }
}

/** The CLI's own words, for the admin API (GET /v1/jobs/:id) and the log; never a password (it is never on its argv or output). */
async function recordCliError(ctx: StepContext, err: OmeroCliError, log: StepContext['log']): Promise<void> {
  const cli = { attempt: ctx.attempt, command: err.details.command, code: err.code, exit_code: err.exitCode, stderr_tail: err.stderrTail };
  log.warn(cli, 'omero cli call failed');
  await recordDetail(ctx, { omero_cli_error: cli }).catch(() => undefined);
}

/** Merges into this run's step detail now (run-step only writes it when the step ends). */
async function recordDetail(ctx: StepContext, detail: Record<string, unknown>): Promise<void> {
  await ctx.recordDetail(detail);
}

/**
 * Writes the ids as AVUs: the tree's current `irods_omero_agent::omero_*` AVUs are read in bulk,
 * and each object gets, in one atomic modify_metadata, the removal of what is stale and the
 * addition of what is missing. A replay that changes nothing sends nothing.
 */
async function writeIds(
  ctx: StepContext,
  root: string,
  target: OmeroServer,
  detail: RegistrationDetail,
  kindOf: (path: string) => 'collection' | 'data_object',
  batchSize: number,
): Promise<void> {
  const targets = registrationAvus(detail, { server: detail.server, mode: detail.mode, registeredAt: detail.registered_at, in: target }, kindOf);
  const current = await currentIdAvus(ctx, root, target);
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

/**
 * The tree's current registration AVUs of that server by lpath: other servers' attributes share
 * the prefix and are left out, so they are never touched.
 */
async function currentIdAvus(ctx: StepContext, root: string, target: OmeroServer): Promise<Map<string, AvuHolder>> {
  const out = new Map<string, AvuHolder>();
  for (const [lpath, { kind, avus }] of await avusUnder(ctx.irods.query, root, OMERO_ID_PREFIX, ctx.signal)) {
    const own = avus.filter((a) => isRegistrationAttributeOf(a.attribute, target));
    if (own.length) out.set(lpath, { kind, avus: own });
  }
  return out;
}

/** Sorts what went wrong with OMERO into the step's codes, retryability and a sentence. */
function asStepFailure(err: unknown, root: string, mount: string | undefined, unpacked: UnpackRecord | undefined): unknown {
  if (err instanceof StagingError) {
    const hint = err.code === 'too_large' ? ' Set OMERO_IRODS_MOUNT so OMERO reads the files where iRODS keeps them, or raise OMERO_STAGING_MAX_BYTES.' : '';
    return new StepFailure('omero_staging_failed', `The files could not be staged for the OMERO upload: ${err.message}.${hint}`, {
      retryable: err.code === 'no_space',
      cause: err,
    });
  }
  if (!(err instanceof OmeroCliError)) return err;
  // What unpack had imported when it failed (recorded before this): only for its own failures.
  const imports = err.details.command === 'transfer unpack' ? unpacked : undefined;
  const duringUnpack = imports !== undefined;
  const opts = (retryable: boolean) => ({ retryable, cause: err });
  switch (err.code) {
    case 'cli_missing':
      return new StepFailure('omero_cli_missing', err.message, opts(false));
    case 'transfer_plugin_missing':
      return new StepFailure('omero_transfer_missing', err.message, opts(false));
    case 'usage':
      return new StepFailure('omero_cli_usage', err.message, opts(false));
    case 'runs_as_root':
      return new StepFailure('omero_cli_as_root', `${err.message} Nothing was registered.`, opts(false));
    case 'login_refused':
      return new StepFailure('omero_login_refused', `${err.message} Nothing was registered.`, opts(false));
    case 'unreachable':
      return err.retryable
        ? new StepFailure('omero_unreachable', `${err.message} The agent will try again.`, opts(true))
        : new StepFailure('omero_unreachable', `${err.message} It happened during the import. ${importedSoFar(imports)}${UPSTREAM_12}`, opts(false));
    case 'timeout':
      return duringUnpack
        ? new StepFailure('omero_timeout', `${err.message} (OMERO_TIMEOUT_SECONDS). ${importedSoFar(imports)}${UPSTREAM_12}`, opts(false))
        : new StepFailure('omero_timeout', `${err.message} The agent will try again.`, opts(true));
    case 'aborted':
      return duringUnpack
        ? new StepFailure('omero_interrupted', `${err.message} ${importedSoFar(imports)}${UPSTREAM_12}`, opts(false))
        : new StepFailure('omero_interrupted', err.message, opts(true));
    case 'permission_denied':
      // Refused before it could import (or while reading an attachment): a matter of access, never of leftovers.
      return new StepFailure('omero_permission_denied', `${err.message} ${NFSRODS_ACCESS(root)} ${importedSoFar(imports) || 'Nothing was imported.'}`.trimEnd(), opts(false));
    case 'folder_missing':
      return new StepFailure(
        'omero_folder_missing',
        `${err.message} The OMERO CLI must see ${root} at ${imports?.folder ?? 'the folder it was given'}` +
          `${mount !== undefined ? ' (OMERO_IRODS_MOUNT: mount the collection OMERO_IRODS_MOUNT_COLLECTION names there, e.g. with NFSRODS, on the agent host and the OMERO server alike)' : ''}. Nothing was registered.`,
        opts(false),
      );
    case 'bad_query':
      return new StepFailure('omero_query_refused', err.message, opts(false));
    case 'object_missing': // only `omero obj` (the annotation sync) says this
    case 'failed':
      return duringUnpack
        ? new StepFailure('omero_import_failed', `${err.message} ${importedSoFar(imports)}${UPSTREAM_12}`, opts(false))
        : new StepFailure('omero_cli_failed', err.message, opts(false));
  }
}

/** What to do when a mount refuses access to the expanded tree. */
const NFSRODS_ACCESS = (root: string) =>
  `Through an NFSRODS mount, the iRODS account it maps the OS user to needs read access to ${root}; NFSRODS caches permissions ` +
  '(user_permissions_refresh_time_in_milliseconds, 300 s by default), so access granted moments ago may not be visible yet: replay the job once that time has passed.';

/** "N image(s) had been imported …" when unpack printed any, else nothing. */
function importedSoFar(unpacked: UnpackRecord | undefined): string {
  if (!unpacked || !importedAnything(unpacked)) return '';
  return `${unpacked.image_ids.length} image(s) had been imported (their OMERO ids are in the step's detail, omero_unpack). `;
}
