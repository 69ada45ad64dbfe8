import {
  lookupRegistration,
  OmeroCliError,
  openOmeroSession,
  unpackRecord,
  type OmeroSession,
  type Registration,
  type StagedFolder,
  type UnpackRecord,
} from '../../omero/index.js';
import { omeroSessionOptions, passwordSetting } from '../omero-session-options.js';
import type { StepContext, StepResult } from '../step-context.js';
import { StepCancelled, StepFailure } from '../step-errors.js';
import { expandedTree, expectedImagePaths, readModel, refuseUnpackable } from './omero/expanded-tree.js';
import { asStepFailure, registrationFailure, UPSTREAM_12 } from './omero/failures.js';
import { writeIds } from './omero/id-write-back.js';
import type { RegistrationDetail } from './omero/registration-detail.js';
import { currentUnpack, previousRegistration, rootRecordsServer } from './omero/replay-decision.js';
import { targetServer } from './omero/target-server.js';
import { folderOnMount, recordCliError, recordDetail, stage, unpackWatchingCancel } from './omero/unpack-run.js';

export interface OmeroStepOptions {
  /** How often a running unpack looks for an administrator's cancel (default 5 s). */
  readonly cancelPollMs?: number;
  /** AVU operations per modify_metadata request (each request is atomic). */
  readonly batchSize?: number;
}

/**
 * The optional OMERO job: registers the expanded archive in OMERO with `omero transfer unpack
 * --folder`, in place (`ln_s`: OMERO links the files where iRODS keeps them, seen through
 * OMERO_IRODS_MOUNT) or as a copy (`upload`), then learns the new OMERO ids (unpack does not
 * print them as a map: see src/omero/registration-lookup.ts) and writes them back as AVUs under
 * `irods_omero_agent::omero_` on the expanded tree and into the step's detail (the archives feed).
 * The server is the default one for a landing job, the one asked for in a registration on demand
 * (omero/target-server.ts); the AVU names say which (src/omero/registration-avus.ts).
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
    const root = ctx.job.target_path;
    if (!root) throw new StepFailure('no_target', 'The archive has not been expanded, so there is nothing to register in OMERO.');
    const target = targetServer(ctx);
    const server = `${target.host}:${target.port}`;
    const log = ctx.log.child({ omero_server: server, omero_server_name: target.name, omero_mode: target.mode });

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
      throw new StepFailure('omero_login_refused', `${passwordSetting(ctx.config, target.name)} is not set on the agent, so it cannot log in to OMERO.`);
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
      server_name: target.name,
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

