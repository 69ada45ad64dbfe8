/**
 * Why a step stopped. `code` is stable (API, metrics, AVUs), `message` is a sentence a scientist
 * understands (it becomes the archive's irods_omero_agent::error AVU). `retryable` failures are
 * retried by BullMQ with backoff; the others fail the job at once (replayable by an admin).
 */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly options: { retryable?: boolean; entry?: string; irodsStatus?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** An admin cancelled the job; the step stopped at an entry boundary. */
export class StepCancelled extends Error {
  override readonly name = 'StepCancelled';
  constructor() {
    super('cancelled by an administrator');
  }
}

/** Not an error: the step must run again later (e.g. the archive is still being uploaded). */
export class StepNotReady extends Error {
  override readonly name = 'StepNotReady';
  constructor(
    readonly reason: string,
    readonly retryInMs: number,
  ) {
    super(reason);
  }
}
