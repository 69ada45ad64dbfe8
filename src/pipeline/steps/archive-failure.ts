import { ArchiveRejected } from '../../archive/index.js';
import { StepFailure } from '../step-errors.js';

/**
 * Domain errors of the archive reader become step failures: the same bytes would be refused
 * again, so they are never retried (the reason code is kept as the failure code).
 */
export function asStepFailure(err: unknown): unknown {
  if (err instanceof ArchiveRejected) {
    return new StepFailure(err.reason, err.message, { entry: err.entry, cause: err });
  }
  return err;
}
