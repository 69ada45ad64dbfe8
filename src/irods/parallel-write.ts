import { chunkLength, type ByteChunk } from './byte-chunk.js';
import type { ClientContext } from './client-context.js';
import { IrodsError } from './errors.js';
import { requiredStr } from './response-fields.js';
import { withRetry } from './retry-policy.js';
import { sendWrite } from './write-request.js';

export interface ParallelWriteOptions {
  /** Where the first chunk goes; 0 truncates (creates) the object at init. */
  readonly startOffset: number;
  /** Streams of the handle, and so chunks in flight at most. */
  readonly streams: number;
  readonly resource?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Bytes this call has written so far as a contiguous prefix (chunks may land out of order). */
  readonly onProgress?: ((bytesWritten: number) => void) | undefined;
}

/**
 * A parallel write: parallel_write_init (retried with backoff while the API answers 503, its
 * global stream pool being exhausted), then indexed writes with stream-index and offset, one
 * per stream at a time, then parallel_write_shutdown, which is mandatory: it runs whatever
 * happened, even on abort, because an open handle holds server streams (and intermediate
 * replicas) until it is shut down.
 */
export async function writeParallel(
  ctx: ClientContext,
  lpath: string,
  chunks: AsyncIterable<ByteChunk>,
  options: ParallelWriteOptions,
): Promise<number> {
  const handle = await initParallelWrite(ctx, lpath, options);
  let result: number | undefined;
  let failure: { readonly error: unknown } | undefined;
  try {
    result = await writeIndexed(ctx, lpath, handle, chunks, options);
  } catch (error) {
    failure = { error };
  }
  try {
    await ctx.transport.json({
      method: 'POST',
      endpoint: 'data-objects',
      op: 'parallel_write_shutdown',
      lpath,
      params: { 'parallel-write-handle': handle },
    });
  } catch (shutdownError) {
    if (failure === undefined) throw shutdownError;
    ctx.log?.warn(
      { lpath, err: shutdownError instanceof Error ? shutdownError.message : String(shutdownError) },
      'parallel_write_shutdown failed after a failed parallel write',
    );
  }
  if (failure !== undefined) throw failure.error;
  return result ?? 0;
}

async function initParallelWrite(ctx: ClientContext, lpath: string, options: ParallelWriteOptions): Promise<string> {
  const body = await withRetry(
    () =>
      ctx.transport.json({
        method: 'POST',
        endpoint: 'data-objects',
        op: 'parallel_write_init',
        lpath,
        signal: options.signal,
        params: {
          lpath,
          'stream-count': options.streams,
          truncate: options.startOffset === 0,
          resource: options.resource,
        },
      }),
    ctx.settings.streamRetry,
    (err) => err instanceof IrodsError && err.status === 503,
    { signal: options.signal, log: ctx.log, what: 'data-objects/parallel_write_init' },
  );
  return requiredStr(body, 'parallel_write_handle', 'data-objects/parallel_write_init', lpath);
}

/**
 * Feeds chunks to the streams of the handle: a chunk is pulled from the source only when a
 * stream is free, so memory stays at (streams × chunk). The first failure aborts the writes
 * still in flight and stops pulling; the caller's abort does the same.
 */
async function writeIndexed(
  ctx: ClientContext,
  lpath: string,
  handle: string,
  chunks: AsyncIterable<ByteChunk>,
  options: ParallelWriteOptions,
): Promise<number> {
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const free = Array.from({ length: options.streams }, (_, i) => options.streams - 1 - i);
  const inFlight = new Set<Promise<void>>();
  const landed = new Map<number, number>(); // offset → length of chunks that landed beyond the watermark
  let watermark = 0; // bytes of this call written as a contiguous prefix
  let position = 0;
  let firstError: unknown;

  const advance = (): void => {
    let next = landed.get(watermark);
    while (next !== undefined) {
      landed.delete(watermark);
      watermark += next;
      next = landed.get(watermark);
    }
    options.onProgress?.(watermark);
  };

  const iterator = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await nextOrAbort(iterator, inner.signal);
      if (next.done) break;
      const chunk = next.value;
      while (free.length === 0 && firstError === undefined) await Promise.race(inFlight);
      if (firstError !== undefined) break;
      inner.signal.throwIfAborted();
      const streamIndex = free.pop() as number;
      const relative = position;
      const length = chunkLength(chunk);
      position += length;
      const task = sendWrite(
        ctx,
        {
          lpath,
          offset: options.startOffset + relative,
          truncate: false,
          parallel: { handle, streamIndex },
          signal: inner.signal,
        },
        chunk,
      ).then(
        () => {
          landed.set(relative, length);
          advance();
        },
        (err: unknown) => {
          firstError ??= err;
          if (!inner.signal.aborted) inner.abort(err);
        },
      );
      const tracked: Promise<void> = task.finally(() => {
        inFlight.delete(tracked);
        free.push(streamIndex);
      });
      inFlight.add(tracked);
    }
  } catch (err) {
    // The source failed (or the caller aborted while it was being read).
    firstError ??= err;
    if (!inner.signal.aborted) inner.abort(err);
  } finally {
    // Stop the source (it may hold a socket or a file) unless it ended by itself.
    if (firstError !== undefined) void iterator.return?.().catch(() => undefined);
    // Never leave a write running into a handle that is about to be shut down.
    await Promise.allSettled(inFlight);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (firstError !== undefined) throw options.signal?.aborted ? options.signal.reason : firstError;
  return position;
}

/**
 * The next chunk, or the abort reason as soon as the signal fires: a stalled source must not
 * keep a handle (and its server streams) open after the caller gave up.
 */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
