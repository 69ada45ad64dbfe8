/**
 * Polls until check() returns a value other than undefined/false, or throws after the deadline
 * with the last observed value in the message. Tests wait this way, never by fixed sleeps.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const interval = options.intervalMs ?? 50;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A gate a test opens when something it watches has happened, so that an ordering is decided by
 * the event, not by a sleep. wait() gives up after a bound and says so (false): code that never
 * lets the event happen makes the test's assertion fail instead of hanging it.
 */
export class Gate {
  private release: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  isOpen = false;

  open(): void {
    this.isOpen = true;
    this.release();
  }

  async wait(timeoutMs = 15_000): Promise<boolean> {
    if (this.isOpen) return true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.opened.then(() => true), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}
