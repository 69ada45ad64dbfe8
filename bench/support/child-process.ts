import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Benches measure a server or a worker in a process of its own, so that the load generator, the
 * iRODS stand-in and the thing measured do not share one event loop, and so that a peak RSS is
 * the measured process's own. Parent and child talk over the IPC channel: the child announces
 * `ready` once, then answers requests `{ id, cmd, args }` with `{ id, ok, result | error }`.
 */

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export interface ChildHandle<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  request<T>(cmd: string, args?: unknown): Promise<T>;
  /** Asks the child to clean up (`close`) and waits for it to exit; kills it if it does not. */
  close(timeoutMs?: number): Promise<void>;
}

/** The path of a module beside `fromUrl`, with the same extension (.ts under tsx, .js from dist). */
export function siblingModule(fromUrl: string, name: string): string {
  const ext = fromUrl.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, fromUrl));
}

export interface ForkOptions {
  readonly args?: readonly string[];
  /** Added to the parent's own execArgv (which carries tsx's loader when run through tsx). */
  readonly execArgv?: readonly string[];
  /** The child's stdout: inherited (default) or discarded (servers that log per request). */
  readonly stdout?: 'inherit' | 'ignore';
  readonly env?: NodeJS.ProcessEnv;
  /** How long the child may take to say ready (default 60 s). */
  readonly readyTimeoutMs?: number;
}

export async function forkChild<Ready>(modulePath: string, options: ForkOptions = {}): Promise<ChildHandle<Ready>> {
  const proc = fork(modulePath, [...(options.args ?? [])], {
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    env: options.env ?? process.env,
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${modulePath} did not get ready in time`)), options.readyTimeoutMs ?? 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${modulePath} exited with ${code ?? 'a signal'} before it was ready`));
    });
    proc.on('message', (m: unknown) => {
      const msg = m as { type?: string; payload?: unknown } & Partial<Reply>;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.payload as Ready);
        return;
      }
      if (typeof msg.id === 'number') {
        const waiter = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.ok) waiter?.resolve(msg.result);
        else waiter?.reject(new Error(msg.error ?? 'child request failed'));
      }
    });
  });
  proc.once('exit', (code) => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited with ${code ?? 'a signal'}`));
    pending.clear();
  });

  const request = <T>(cmd: string, args?: unknown): Promise<T> => {
    if (exited) return Promise.reject(new Error('the child has exited'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      proc.send({ id, cmd, args });
    });
  };
  return {
    pid: proc.pid ?? -1,
    ready,
    request,
    async close(timeoutMs = 30_000) {
      if (exited) return;
      const kill = setTimeout(() => killChild(proc), timeoutMs);
      try {
        await Promise.race([request('close'), exit]);
      } catch {
        // It died while closing: nothing more to ask.
      }
      await exit;
      clearTimeout(kill);
    },
  };
}

function killChild(proc: ChildProcess): void {
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

export type RequestHandlers = Record<string, (args: unknown) => Promise<unknown>>;

/**
 * The child's side: says ready with `payload`, answers requests with `handlers`; `close` runs
 * `onClose` and exits. A lost parent (IPC closed) or a SIGINT/SIGTERM also closes, so no orphan
 * keeps a database.
 */
export function serveParent(payload: unknown, handlers: RequestHandlers, onClose: () => Promise<void>): void {
  const send = (m: unknown): void => {
    if (process.connected) process.send?.(m);
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= onClose().catch((err: unknown) => {
      process.stderr.write(`close failed: ${String(err)}\n`);
    }));
  process.on('message', (m: unknown) => {
    const { id, cmd, args } = m as { id: number; cmd: string; args?: unknown };
    if (cmd === 'close') {
      void close().then(() => {
        send({ id, ok: true });
        process.disconnect?.();
        process.exit(0);
      });
      return;
    }
    const handler = handlers[cmd];
    if (!handler) {
      send({ id, ok: false, error: `unknown command ${cmd}` });
      return;
    }
    handler(args).then(
      (result) => send({ id, ok: true, result }),
      (err: unknown) => send({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.once('disconnect', () => void close().then(() => process.exit(0)));
  // Ctrl-C reaches the whole process group: clean up (databases, Redis keys) before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close().then(() => process.exit(130)));
  send({ type: 'ready', payload });
}

/** Reports a child's start-up failure to the parent's stderr and exits non-zero. */
export function failChild(err: unknown): never {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
