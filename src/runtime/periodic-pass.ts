import type { Logger } from '../logging/logger.js';

export interface PeriodicHandle {
  /** Stops the schedule, aborts a pass in progress and waits for it to end. */
  close(): Promise<void>;
}

export interface PeriodicPass {
  /** What the log calls it (`sweeper`, `native mark poller`). */
  readonly name: string;
  /** 0 or less: never (close() then has nothing to wait for). */
  readonly intervalSeconds: number;
  /** Run the first pass at once instead of after one interval. */
  readonly runAtStart: boolean;
  readonly log: Logger;
  readonly failureLevel: 'warn' | 'error';
  /** What the log says when a pass fails (the next one still runs on time). */
  readonly failureMessage: string;
  readonly pass: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * Runs `pass` every interval, one at a time: the next is scheduled when the last ends, so a slow
 * pass delays rather than overlaps. A failed pass is logged, never fatal. The timer does not keep
 * the process alive.
 */
export function startPeriodicPass(p: PeriodicPass): PeriodicHandle {
  if (p.intervalSeconds <= 0) return { close: async () => undefined };
  const abort = new AbortController();
  let running: Promise<unknown> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = p
        .pass(abort.signal)
        .catch((err: unknown) => {
          if (!abort.signal.aborted) p.log[p.failureLevel]({ err }, p.failureMessage);
        })
        .finally(() => {
          running = undefined;
          if (!abort.signal.aborted) schedule(p.intervalSeconds * 1000);
        });
    }, delayMs);
    timer.unref();
  };
  schedule(p.runAtStart ? 0 : p.intervalSeconds * 1000);
  p.log.info({ interval_seconds: p.intervalSeconds }, `${p.name} started`);
  return {
    async close() {
      abort.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
