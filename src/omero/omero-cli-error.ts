/**
 * Why a call of the OMERO CLI did not do its job. `code` is stable (step error codes, tests);
 * `retryable` says whether the same call may succeed later unchanged (OMERO down or slow),
 * as opposed to a setting or the data being wrong.
 */
export type OmeroCliErrorCode =
  /** OMERO_CLI does not exist or is not executable on the agent host. */
  | 'cli_missing'
  /** `omero transfer` is unknown: the omero-cli-transfer plugin is not installed for that CLI. */
  | 'transfer_plugin_missing'
  /** The CLI refused its arguments (argparse: exit 2). */
  | 'usage'
  /** The server could not be reached (refused, unknown host, failed to connect). */
  | 'unreachable'
  /** The server refused the account: bad password, no password, disabled account, not in the group. */
  | 'login_refused'
  /** The call ran longer than its bound and was stopped. */
  | 'timeout'
  /** The agent stopped the call (worker shutdown). */
  | 'aborted'
  /** `omero transfer unpack` could not read the folder (no transfer.xml there). */
  | 'folder_missing'
  /** `omero hql` refused a query. */
  | 'bad_query'
  /** The CLI was refused access to a file (PermissionError), e.g. by an NFSRODS mount. */
  | 'permission_denied'
  /** `omero obj` was given an object the server does not have (deleted meanwhile). */
  | 'object_missing'
  /** OMERO.py refuses to run as root (omero/main.py `not_root`): the agent runs as root. */
  | 'runs_as_root'
  /** Anything else that ended with a non-zero exit status. */
  | 'failed';

export class OmeroCliError extends Error {
  override readonly name = 'OmeroCliError';
  constructor(
    readonly code: OmeroCliErrorCode,
    message: string,
    readonly details: {
      /** The CLI command, e.g. `login`, `transfer unpack`, `hql` (never the arguments: they may hold paths only, but stay short). */
      readonly command: string;
      /** null when the process did not exit by itself (signal, not started). */
      readonly exitCode: number | null;
      /** The last lines of stderr, for the log and the admin (bounded). */
      readonly stderrTail: string;
      readonly retryable: boolean;
      readonly cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
  }

  get exitCode(): number | null {
    return this.details.exitCode;
  }

  get stderrTail(): string {
    return this.details.stderrTail;
  }

  get retryable(): boolean {
    return this.details.retryable;
  }
}
