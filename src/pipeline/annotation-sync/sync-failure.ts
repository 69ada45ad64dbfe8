import { IrodsError } from '../../irods/errors.js';
import { OmeroCliError } from '../../omero/index.js';

/**
 * Why a sync did not finish: a stable code (the sync row's error_code), a sentence for the
 * administrator, and whether trying again later may help (the queue's backoff) or not.
 */
export class SyncFailure extends Error {
  override readonly name = 'SyncFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * Sorts what went wrong: OMERO or iRODS away (and an annotation deleted in OMERO between the
 * lookup and the write) is tried again; a setting or the data being wrong is not; anything
 * unexpected is tried again, and recorded as such once the attempts are spent.
 */
export function asSyncFailure(err: unknown): SyncFailure {
  if (err instanceof SyncFailure) return err;
  if (err instanceof OmeroCliError) {
    const retryable = err.code === 'unreachable' || err.code === 'timeout' || err.code === 'aborted' || err.code === 'object_missing';
    return new SyncFailure(`omero_${err.code}`, err.message, retryable, err);
  }
  if (err instanceof IrodsError) return new SyncFailure('irods_error', `iRODS: ${err.message}`, err.retryable, err);
  const message = err instanceof Error ? err.message : String(err);
  return new SyncFailure('internal_error', `the sync failed unexpectedly: ${message}`, true, err);
}
