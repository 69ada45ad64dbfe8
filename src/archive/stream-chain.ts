import type { Duplex, Readable } from 'node:stream';

export interface ChainStage {
  readonly stream: Readable | Duplex;
  /** What the consumer should see when this stage fails (e.g. a zlib error → ArchiveRejected). */
  readonly mapError: (err: unknown) => Error;
}

/**
 * Pipes `stages` in order into `out` and returns `out`. Unlike `pipeline()`, a failure anywhere
 * reaches the consumer as the *mapped* error on `out` (pipeline would destroy `out` with the raw
 * zlib or tar error first), and when `out` ends or is destroyed early the upstream stages are torn
 * down so no ranged read keeps running for nobody. Backpressure is pipe()'s.
 */
export function chainInto<T extends Duplex>(stages: readonly ChainStage[], out: T): T {
  let previous: Readable | undefined;
  for (const { stream, mapError } of stages) {
    if (previous) previous.pipe(stream as Duplex);
    previous = stream;
    stream.on('error', (err: unknown) => {
      if (!out.destroyed) out.destroy(mapError(err));
    });
  }
  previous?.pipe(out);
  out.once('close', () => {
    for (const { stream } of stages) if (!stream.destroyed) stream.destroy();
  });
  return out;
}

/** True for the error an aborted AbortSignal produces (propagated untouched, never mapped). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
