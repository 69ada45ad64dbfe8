/** Exit codes of every command, documented in the README. */
export const ExitCode = {
  ok: 0,
  /** The command ran and found a problem (a failed job, a refused replay...). */
  failure: 1,
  /** Bad usage or invalid configuration. */
  usage: 2,
  /** A service the command needs (PostgreSQL, Redis, iRODS, the agent's API) is unreachable. */
  unavailable: 3,
  /** The job (or other thing) named does not exist (the admin API answered 404). */
  notFound: 4,
  /** The admin API refused the token: missing, wrong (401), or a reader doing an operator's action (403). */
  denied: 5,
  /** `jobs watch`: the job ended cancelled (succeeded exits 0, failed 1). */
  cancelled: 6,
} as const;
