/** A service the intake needs is down: the caller should retry later (HTTP 503 + Retry-After). */
export class ServiceUnavailable extends Error {
  override readonly name = 'ServiceUnavailable';
  constructor(
    readonly service: 'postgresql' | 'redis' | 'irods',
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/**
 * PostgreSQL refused to record this event's values although they passed the contract (HTTP 400:
 * sending the same event again fails again). Only this event is refused; the events that shared
 * its group are recorded one by one.
 */
export class EventUnrecordable extends Error {
  override readonly name = 'EventUnrecordable';
  readonly code = 'unrecordable_event';
  constructor(
    readonly sqlState: string | undefined,
    cause: unknown,
  ) {
    super(`the event could not be recorded: PostgreSQL refused its values${sqlState ? ` (SQLSTATE ${sqlState})` : ''}: ${(cause as Error).message}`, { cause });
  }
}
