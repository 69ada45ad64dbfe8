import type { Readable } from 'node:stream';
import type { Extract } from 'tar-stream';
import { ArchiveUsageError, type ArchiveEntry } from './archive-types.js';
import { EntryGuard, type ByteBudget } from './entry-guard.js';
import { hasData, type DescribedEntry } from './tar-entry-header.js';
import { asError } from './stream-chain.js';

/** tar-stream's entry stream (a streamx Readable carrying its header), as its iterator hands it out. */
export type TarSource = Extract extends AsyncIterable<infer S> ? S : never;

export interface TarSlotFacts {
  readonly source: TarSource;
  readonly entry: DescribedEntry;
  readonly index: number;
  readonly maxEntryBytes: number;
  readonly budget: ByteBudget;
  /** tar-stream's plain errors as the consumer should see them. */
  readonly translate: (err: unknown) => Error;
  /** Why the entry's stream is gone when it was destroyed before anyone listened. */
  readonly whyGone: () => Error;
}

/**
 * The current entry: its data may be opened once, while it is current; otherwise it is skipped.
 */
export class TarSlot {
  private current = true;
  private guard: EntryGuard | undefined;

  constructor(private readonly facts: TarSlotFacts) {}

  get opened(): boolean {
    return this.guard !== undefined;
  }

  toEntry(): ArchiveEntry {
    const { entry, index } = this.facts;
    return {
      index,
      path: entry.path,
      kind: entry.kind,
      size: entry.size,
      ...(entry.mtime ? { mtime: entry.mtime } : {}),
      open: (signal?: AbortSignal) => this.open(signal),
    };
  }

  /** The iterator moved on: the entry can no longer be opened. */
  retire(): void {
    this.current = false;
  }

  private open(signal: AbortSignal | undefined): Promise<Readable> {
    const { source, entry, translate } = this.facts;
    if (!this.current) {
      return Promise.reject(new ArchiveUsageError(`tar entry "${entry.path}" was opened after the iterator moved past it`));
    }
    if (this.guard) return Promise.reject(new ArchiveUsageError(`tar entry "${entry.path}" was already opened`));
    signal?.throwIfAborted();
    const guard = new EntryGuard({
      entry: entry.path,
      index: this.facts.index,
      declaredSize: entry.size,
      sizeIsCertain: true,
      maxEntryBytes: this.facts.maxEntryBytes,
      budget: this.facts.budget,
    });
    this.guard = guard;
    if (!hasData(source.header)) {
      guard.end();
      return Promise.resolve(guard);
    }

    if (source.destroyed) {
      // The pass failed (or was closed) between handing the entry out and this call.
      guard.destroy(this.facts.whyGone());
      return Promise.resolve(guard);
    }

    let detached = false;
    let ended = false;
    source.on('data', (chunk: unknown) => {
      if (detached) return;
      if (!guard.write(chunk)) source.pause();
    });
    guard.on('drain', () => source.resume());
    source.on('end', () => {
      ended = true;
      if (!detached) guard.end();
    });
    source.on('error', (err: unknown) => {
      if (!guard.destroyed) guard.destroy(translate(err));
    });
    source.once('close', () => {
      if (!ended && !guard.destroyed) guard.destroy(new ArchiveUsageError('the tar archive reader was closed'));
    });
    guard.once('close', () => {
      if (ended) return;
      // The consumer stopped early: read the rest of the entry into the void so that the tar
      // stream can move on (destroying tar-stream's entry stream would end the whole archive).
      detached = true;
      source.resume();
    });
    if (signal) {
      const onAbort = (): void => {
        guard.destroy(asError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      guard.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return Promise.resolve(guard);
  }
}

/** Resolves when the entry's data stream has ended (at once for entries without data). */
export function dataDrained(source: TarSource, whyGone: () => Error): Promise<void> {
  if (!hasData(source.header)) return Promise.resolve();
  if (source.destroyed) return Promise.reject(whyGone());
  let ended = false;
  const drained = new Promise<void>((resolve, reject) => {
    source.once('end', () => {
      ended = true;
      resolve();
    });
    source.once('error', (err: unknown) => reject(asError(err)));
    // Closed without an end (the reader was closed): the pass reports why. 'close' also follows
    // every normal 'end'; the error (and its stack trace) is only built when it matters.
    source.once('close', () => {
      if (!ended) reject(new ArchiveUsageError('the tar archive reader was closed'));
    });
  });
  // Observed by the pass; this keeps an early failure from being reported as unhandled.
  drained.catch(() => undefined);
  return drained;
}
