import { stdSerializers } from 'pino';

/** The causes of an error, outermost first, each once (cause chains can be circular). */
function causeChain(err: Error): Error[] {
  const chain: Error[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

/**
 * An error's message followed by its causes' messages, each said once. pino's own serializer
 * joins every cause with ": ", and the agent often wraps an error in one carrying the same
 * sentence (a StepFailure around an ArchiveRejected), which printed every refusal twice.
 */
export function messageWithCauses(err: Error): string {
  let text = '';
  for (const e of causeChain(err)) {
    const message = e.message.trim();
    if (!message || text.includes(message)) continue;
    text = text ? `${text}: ${message}` : message;
  }
  return text;
}

/** pino's error serializer (type, stack with causes, own fields), with the message said once. */
export function serializeError(err: unknown): unknown {
  const serialized = stdSerializers.err(err as Error) as unknown;
  if (!(err instanceof Error) || typeof serialized !== 'object' || serialized === null) return serialized;
  return Object.assign(serialized, { message: messageWithCauses(err) });
}
