import { loadConfig, type Config, type EnvLike } from '../config/index.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly env: EnvLike;
  out(line: string): void;
  err(line: string): void;
  exitCode: number;
  /** A terminal to draw live progress on (`jobs watch`); undefined when stderr is not a TTY. */
  readonly progress?: NodeJS.WriteStream | undefined;
}

/**
 * `jobs show … | head`: the reader went away, so nothing more can be said to it. End at once and
 * quietly, as a Unix tool does on SIGPIPE, instead of dying on an unhandled EPIPE with a stack.
 */
function endQuietlyWhenReaderCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export function processIo(): CliIo {
  endQuietlyWhenReaderCloses(process.stdout);
  return {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    exitCode: 0,
    progress: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** A command's action that starts from the configuration, read from `io.env` and validated when the command runs. */
export function withConfig<A extends unknown[]>(io: CliIo, action: (config: Config, ...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => action(loadConfig(io.env), ...args);
}
