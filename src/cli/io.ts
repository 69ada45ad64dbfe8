import type { EnvLike } from '../config/index.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly env: EnvLike;
  out(line: string): void;
  err(line: string): void;
  exitCode: number;
  /** A terminal to draw live progress on (`jobs watch`); undefined when stderr is not a TTY. */
  readonly progress?: NodeJS.WriteStream | undefined;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    exitCode: 0,
    progress: process.stderr.isTTY ? process.stderr : undefined,
  };
}
