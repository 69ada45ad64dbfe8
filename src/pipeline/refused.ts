/**
 * An operator's request the agent will not carry out (replay, cancel, register, unregister):
 * `code` says why, in words the HTTP layer maps to a 4xx (or 503 when a service is down), and
 * the message says what to do.
 */
export class Refused<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}
