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
