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
  /**
   * A write the API could not open reported INVALID_HANDLE: an HTTP API built against iRODS
   * 5.0.2 or older says only that, whatever iRODS refused (permission, lock, quota, resource,
   * path); one built against a newer iRODS reports iRODS's own code instead (0.7.0, #479;
   * endpoints/data_objects op_write, op_write_streaming, op_parallel_write_init). The cause
   * being unknown, such a failure counts as retryable.
   */
  readonly causeHidden: boolean;

  constructor(init: {
    status: number;
    code?: number | undefined;
    codeName?: string | undefined;
    op: string;
    lpath?: string | undefined;
    message: string;
    failedOperation?: { index: number; message: string } | undefined;
    causeHidden?: boolean | undefined;
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
    this.causeHidden = init.causeHidden ?? false;
  }

  /**
   * Worth retrying as is: a transport failure, a timeout, a 5xx or a parallel-write stream
   * shortage; an iRODS refusal that passes (another writer holds the object, a resource is
   * down); a write whose cause the API hid.
   */
  get retryable(): boolean {
    if (this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500) return true;
    return this.causeHidden || (this.code !== undefined && TRANSIENT_CODES.has(this.code));
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
  SYS_RESC_DOES_NOT_EXIST: -78000,
  SYS_RESC_IS_DOWN: -105000,
  SYS_RESC_QUOTA_EXCEEDED: -110000,
  SYS_REPLICA_DOES_NOT_EXIST: -164000,
  SYS_NO_GOOD_REPLICA: -166000,
  SYS_REPLICA_INACCESSIBLE: -168000,
  SYS_NOT_ALLOWED: -169000,
  USER_PATH_EXCEEDS_MAX: -346000,
  INTERMEDIATE_REPLICA_ACCESS: -405000,
  LOCKED_DATA_OBJECT_ACCESS: -406000,
  HIERARCHY_ERROR: -1803000,
  DIRECT_CHILD_ACCESS: -1816000,
} as const;

/**
 * Refusals that pass by themselves: another writer holds the object (logical locking, or the
 * replica being written votes zero: HIERARCHY_ERROR), a resource marked down.
 */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  IrodsCode.LOCKED_DATA_OBJECT_ACCESS,
  IrodsCode.INTERMEDIATE_REPLICA_ACCESS,
  IrodsCode.HIERARCHY_ERROR,
  IrodsCode.SYS_RESC_IS_DOWN,
]);

/**
 * True when iRODS refused for lack of room: a resource quota, or the logical_quotas rule engine
 * plugin (SYS_NOT_ALLOWED, "Logical Quotas Policy Violation", on a write). Only a write the API
 * reports with its real code can say so (see IrodsError.causeHidden).
 */
export function isQuotaRefusal(err: unknown): boolean {
  if (!(err instanceof IrodsError)) return false;
  if (err.code === IrodsCode.SYS_RESC_QUOTA_EXCEEDED) return true;
  return err.code === IrodsCode.SYS_NOT_ALLOWED && (err.op === 'data-objects/write' || err.op === 'data-objects/parallel_write_init');
}

/** An IrodsError with one of `codes`, or (when given) the HTTP status that means the same. */
function isIrodsErrorOf(err: unknown, codes: readonly number[], status?: number): boolean {
  return err instanceof IrodsError && ((status !== undefined && err.status === status) || (err.code !== undefined && codes.includes(err.code)));
}

const NOT_FOUND_CODES = [
  IrodsCode.OBJ_PATH_DOES_NOT_EXIST,
  IrodsCode.NOT_A_DATA_OBJECT,
  IrodsCode.NOT_A_COLLECTION,
  IrodsCode.CAT_UNKNOWN_COLLECTION,
  IrodsCode.CAT_UNKNOWN_FILE,
  IrodsCode.CAT_NO_ROWS_FOUND,
];

const ALREADY_EXISTS_CODES = [
  IrodsCode.CAT_NAME_EXISTS_AS_COLLECTION,
  IrodsCode.CAT_NAME_EXISTS_AS_DATAOBJ,
  IrodsCode.CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME,
  IrodsCode.OVERWRITE_WITHOUT_FORCE_FLAG,
];

const PERMISSION_DENIED_CODES = [IrodsCode.CAT_NO_ACCESS_PERMISSION, IrodsCode.SYS_NO_API_PRIV, IrodsCode.CAT_INSUFFICIENT_PRIVILEGE_LEVEL];

/** True when the error means "there is nothing at that lpath". */
export function isNotFound(err: unknown): boolean {
  return isIrodsErrorOf(err, NOT_FOUND_CODES, 404);
}

/** True when the error means "something is already there under that name". */
export function isAlreadyExists(err: unknown): boolean {
  return isIrodsErrorOf(err, ALREADY_EXISTS_CODES);
}

/** True when the caller lacks the permission or privilege for the operation. */
export function isPermissionDenied(err: unknown): boolean {
  return isIrodsErrorOf(err, PERMISSION_DENIED_CODES, 403);
}

/**
 * True when the API does not accept the client's credentials: HTTP 401 from /authenticate, or
 * again after the client authenticated anew (a token refused twice).
 */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof IrodsError && err.status === 401;
}
