import { IrodsError, isUnauthorized } from '../irods/errors.js';
import { StepFailure } from './step-errors.js';

/** Why a step attempt stopped, as the job, the step row and the archive's AVUs record it. */
export interface Failure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly entry: string | undefined;
  readonly irodsStatus: number | undefined;
}

/** The agent's own account was refused: a wrong IRODS_USERNAME / IRODS_PASSWORD, or a changed one. */
export const IRODS_UNAUTHORIZED = 'irods_unauthorized';

/**
 * What iRODS said, once. An IrodsError's message already names the operation and the object
 * ("data-objects/stat /z/a.zip failed: HTTP 200: CAT_NO_ACCESS_PERMISSION (-818000)"); the
 * sentence keeps its details and says who failed, without repeating the rest.
 */
function irodsSentence(err: IrodsError): string {
  const subject = `${err.op}${err.lpath !== undefined ? ` on ${err.lpath}` : ''}`;
  const prefix = `${err.op}${err.lpath !== undefined ? ` ${err.lpath}` : ''} failed: `;
  const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return err.retryable ? `iRODS did not answer ${subject}: ${detail}` : `iRODS refused ${subject}: ${detail}`;
}

/** Sorts any error into a failure with a stable code, a readable sentence and retryability. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof StepFailure) {
    return { code: err.code, message: err.message, retryable: err.retryable, entry: err.options.entry, irodsStatus: err.options.irodsStatus };
  }
  if (isUnauthorized(err)) {
    return {
      code: IRODS_UNAUTHORIZED,
      message: `iRODS does not accept the agent's account (check IRODS_USERNAME and IRODS_PASSWORD); the job waits and goes on once it does. ${(err as IrodsError).message}`,
      retryable: true,
      entry: undefined,
      irodsStatus: (err as IrodsError).code,
    };
  }
  if (err instanceof IrodsError) {
    return { code: err.retryable ? 'irods_unavailable' : 'irods_error', message: irodsSentence(err), retryable: err.retryable, entry: undefined, irodsStatus: err.code };
  }
  // Unknown errors (a database hiccup, a bug) are retried; if they persist the job fails visibly.
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal_error', message: `internal error: ${message}`, retryable: true, entry: undefined, irodsStatus: undefined };
}
