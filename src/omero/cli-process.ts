import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** One run of an external program: an argument array (never a shell), bounded in time and output. */
export interface ProcessRun {
  readonly executable: string;
  readonly args: readonly string[];
  /** The whole environment of the child (nothing is inherited implicitly). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Between SIGTERM and SIGKILL when the run is stopped (default 5 s). */
  readonly killGraceMs?: number;
  /** Characters kept of the end of each stream, for diagnostics (default 64 KiB). */
  readonly tailChars?: number;
  /** Called with each complete stdout line (without its newline); lines longer than maxLineChars are cut. */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  readonly maxLineChars?: number;
}

export interface ProcessOutcome {
  /** null when the process was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdoutTail: string;
  readonly stderrTail: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
}

/** The program could not be started at all (ENOENT: not found; EACCES: not executable). */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
  constructor(
    readonly executable: string,
    readonly errno: string,
    cause: unknown,
  ) {
    super(`cannot start ${executable}: ${errno}`, { cause });
  }
}

/** Keeps the last `limit` characters of a stream, and hands complete lines to a callback. */
class StreamCapture {
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';
  private line = '';
  private cut = false;

  constructor(
    private readonly limit: number,
    private readonly maxLine: number,
    private readonly onLine: ((line: string) => void) | undefined,
  ) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  end(): void {
    this.take(this.decoder.end());
    if (this.line !== '' || this.cut) this.emit();
  }

  private take(text: string): void {
    if (!text) return;
    this.tail += text;
    // Trim in steps, not per chunk: keeps the cost linear.
    if (this.tail.length > 2 * this.limit) this.tail = this.tail.slice(-this.limit);
    if (!this.onLine) return;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.append(text.slice(start, nl));
      this.emit();
      start = nl + 1;
    }
    this.append(text.slice(start));
  }

  private append(part: string): void {
    if (this.cut) return;
    const room = this.maxLine - this.line.length;
    if (part.length > room) {
      this.line += part.slice(0, room);
      this.cut = true;
    } else {
      this.line += part;
    }
  }

  private emit(): void {
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    this.cut = false;
    this.onLine?.(line);
  }

  finalTail(): string {
    return this.tail.length > this.limit ? this.tail.slice(-this.limit) : this.tail;
  }
}

/**
 * Runs a program to its end. It gets its own process group, so stopping it (timeout, abort)
 * also stops what it started — `omero import` runs Java in a child process that would otherwise
 * go on importing after its parent was killed. stdin is closed: a CLI that would prompt (for a
 * password) fails at once instead of waiting forever.
 */
export function runProcess(run: ProcessRun): Promise<ProcessOutcome> {
  const tailChars = run.tailChars ?? 64 * 1024;
  const maxLine = run.maxLineChars ?? 64 * 1024;
  const stdout = new StreamCapture(tailChars, maxLine, run.onStdoutLine);
  const stderr = new StreamCapture(tailChars, maxLine, run.onStderrLine);
  const started = Date.now();

  return new Promise<ProcessOutcome>((resolve, reject) => {
    if (run.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdoutTail: '', stderrTail: '', timedOut: false, aborted: true, durationMs: 0 });
      return;
    }
    const child = spawn(run.executable, [...run.args], {
      env: { ...run.env },
      cwd: run.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), run.killGraceMs ?? 5_000);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    timer.unref();
    const onAbort = () => {
      aborted = true;
      stop();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      run.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      if (child.pid === undefined) {
        settled = true;
        cleanup();
        reject(new ProcessStartError(run.executable, err.code ?? 'unknown error', err));
      }
    });
    child.once('close', (exitCode, signal) => {
      if (settled) return;
      settled = true;
      cleanup();
      stdout.end();
      stderr.end();
      resolve({
        exitCode,
        signal,
        stdoutTail: stdout.finalTail(),
        stderrTail: stderr.finalTail(),
        timedOut,
        aborted,
        durationMs: Date.now() - started,
      });
    });
  });
}
