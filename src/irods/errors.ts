/**
 * A failed iRODS HTTP API operation. `status` is the HTTP status (0 when no HTTP answer came:
 * connection refused or reset, timeout); `code` the iRODS error code from
 * irods_response.status_code (negative, e.g. -171000), `codeName` its symbolic name when known
 * (NOT_A_DATA_OBJECT...), `op` the operation (e.g. "data-objects/stat"), `lpath` the object.
 * Messages never carry the password or the bearer token.
 */
export class IrodsError extends Error {
  override readonly name = 'IrodsError';
  readonly status: number;
  readonly code: number | undefined;
  readonly codeName: string | undefined;
  readonly op: string;
  readonly lpath: string | undefined;
  /** For atomic ACL/AVU operations: which operation of the batch failed. */
  readonly failedOperation: { index: number; message: string } | undefined;

  constructor(init: {
    status: number;
    code?: number | undefined;
    codeName?: string | undefined;
    op: string;
    lpath?: string | undefined;
    message: string;
    failedOperation?: { index: number; message: string } | undefined;
    /** The underlying transport error, for diagnosis (never carries credentials). */
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.codeName = init.codeName;
    this.op = init.op;
    this.lpath = init.lpath;
    this.failedOperation = init.failedOperation;
  }

  /** Worth retrying as is: a transport failure, a timeout, a 5xx or a parallel-write stream shortage. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Well-known iRODS error codes the agent reacts to (values from irods/irods rodsErrorTable.h). */
export const IrodsCode = {
  SYS_NO_API_PRIV: -13000,
  SYS_INVALID_INPUT_PARAM: -130000,
  SYS_COLLECTION_NOT_EMPTY: -79000,
  NOT_A_COLLECTION: -170000,
  NOT_A_DATA_OBJECT: -171000,
  INVALID_HANDLE: -175000,
  OVERWRITE_WITHOUT_FORCE_FLAG: -312000,
  OBJ_PATH_DOES_NOT_EXIST: -358000,
  CHECK_VERIFICATION_RESULTS: -407000,
  CAT_SQL_ERR: -806000,
  CAT_NO_ROWS_FOUND: -808000,
  CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME: -809000,
  CAT_UNKNOWN_COLLECTION: -814000,
  CAT_UNKNOWN_FILE: -817000,
  CAT_NO_ACCESS_PERMISSION: -818000,
  CAT_INVALID_USER: -827000,
  CAT_INVALID_GROUP: -829000,
  CAT_INSUFFICIENT_PRIVILEGE_LEVEL: -830000,
  CAT_NAME_EXISTS_AS_COLLECTION: -833000,
  CAT_NAME_EXISTS_AS_DATAOBJ: -834000,
} as const;

/** True when the error means "there is nothing at that lpath". */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof IrodsError)) return false;
  if (err.status === 404) return true;
  const c = err.code;
  return (
    c === IrodsCode.OBJ_PATH_DOES_NOT_EXIST ||
    c === IrodsCode.NOT_A_DATA_OBJECT ||
    c === IrodsCode.NOT_A_COLLECTION ||
    c === IrodsCode.CAT_UNKNOWN_COLLECTION ||
    c === IrodsCode.CAT_UNKNOWN_FILE ||
    c === IrodsCode.CAT_NO_ROWS_FOUND
  );
}

/** True when the error means "something is already there under that name". */
export function isAlreadyExists(err: unknown): boolean {
  if (!(err instanceof IrodsError)) return false;
  const c = err.code;
  return (
    c === IrodsCode.CAT_NAME_EXISTS_AS_COLLECTION ||
    c === IrodsCode.CAT_NAME_EXISTS_AS_DATAOBJ ||
    c === IrodsCode.CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME ||
    c === IrodsCode.OVERWRITE_WITHOUT_FORCE_FLAG
  );
}

/** True when the caller lacks the permission or privilege for the operation. */
export function isPermissionDenied(err: unknown): boolean {
  if (!(err instanceof IrodsError)) return false;
  if (err.status === 403) return true;
  const c = err.code;
  return (
    c === IrodsCode.CAT_NO_ACCESS_PERMISSION ||
    c === IrodsCode.SYS_NO_API_PRIV ||
    c === IrodsCode.CAT_INSUFFICIENT_PRIVILEGE_LEVEL
  );
}

/**
 * True when the API does not accept the client's credentials: HTTP 401 from /authenticate, or
 * again after the client authenticated anew (a token refused twice).
 */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof IrodsError && err.status === 401;
}
