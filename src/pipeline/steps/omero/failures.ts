import {
  diagnoseImportErrors,
  firstImporterWords,
  importedAnything,
  lastReason,
  OmeroCliError,
  StagingError,
  type Registration,
  type UnpackRecord,
} from '../../../omero/index.js';
import { StepFailure } from '../../step-errors.js';

/** Said whenever images may have been left in OMERO by a failed unpack. */
export const UPSTREAM_12 =
  'Images it had already imported may be left in OMERO without their names and links: remove them before replaying, or unpack will not recognise the new ones (omero-cli-transfer issue #12).';

/**
 * Fewer images registered than the archive holds, or unpack crashing after its imports: how many,
 * which, what the importers said, what to do.
 */
export function registrationFailure(registration: Registration, expected: number, unpacked: UnpackRecord, crash: OmeroCliError | undefined): StepFailure {
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

/** Sorts what went wrong with OMERO into the step's codes, retryability and a sentence. */
export function asStepFailure(err: unknown, root: string, mount: string | undefined, unpacked: UnpackRecord | undefined): unknown {
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
