import { hostname } from 'node:os';

/** The process that does something: recorded with each step attempt and each change in iRODS. */
export interface WorkerIdentity {
  readonly host: string;
  readonly pid: number;
}

/** This process, as `jobs show` names it (host name and process id). */
export function thisProcess(): WorkerIdentity {
  return { host: hostname(), pid: process.pid };
}
