/**
 * The iRODS error codes the stand-in returns, by their real names and values
 * (irods/irods lib/core/include/irods/rodsErrorTable.h; the same values at tags 4.3.5 and 5.0.2). Only the ones the
 * reproduced operations can produce are listed; a client maps them exactly as it would
 * map a real server's answer.
 */
export const IRODS_ERRORS = {
  SYS_NO_API_PRIV: -13000,
  SYS_INVALID_FILE_PATH: -31000,
  SYS_INVALID_RESC_INPUT: -32000,
  SYS_RESC_DOES_NOT_EXIST: -78000,
  SYS_COLLECTION_NOT_EMPTY: -79000,
  SYS_RESC_IS_DOWN: -105000,
  SYS_USER_NO_PERMISSION: -121000,
  CANT_REG_IN_VAULT_FILE: -128000,
  PATH_REG_NOT_ALLOWED: -129000,
  SYS_INVALID_INPUT_PARAM: -130000,
  SYS_INTERNAL_ERR: -154000,
  SYS_REPLICA_DOES_NOT_EXIST: -164000,
  SYS_UNKNOWN_ERROR: -165000,
  SYS_NO_GOOD_REPLICA: -166000,
  SYS_REPLICA_INACCESSIBLE: -168000,
  SYS_NOT_ALLOWED: -169000,
  NOT_A_COLLECTION: -170000,
  NOT_A_DATA_OBJECT: -171000,
  JSON_VALIDATION_ERROR: -172000,
  INVALID_HANDLE: -175000,
  INVALID_GENQUERY_AGGREGATE_FUNCTION: -183000,
  USER_STRLEN_TOOLONG: -306000,
  USER_FILE_DOES_NOT_EXIST: -310000,
  OVERWRITE_WITHOUT_FORCE_FLAG: -312000,
  USER_CHKSUM_MISMATCH: -314000,
  USER_INPUT_PATH_ERR: -317000,
  USER_INVALID_USERNAME_FORMAT: -319000,
  SAME_SRC_DEST_PATHS_ERR: -339000,
  USER_PATH_EXCEEDS_MAX: -346000,
  CANT_UNREG_IN_VAULT_FILE: -355000,
  OBJ_PATH_DOES_NOT_EXIST: -358000,
  USER_INVALID_RESC_INPUT: -361000,
  USER_FILE_SIZE_MISMATCH: -401000,
  USER_INCOMPATIBLE_PARAMS: -402000,
  USER_INVALID_REPLICA_INPUT: -403000,
  INTERMEDIATE_REPLICA_ACCESS: -405000,
  LOCKED_DATA_OBJECT_ACCESS: -406000,
  CHECK_VERIFICATION_RESULTS: -407000,
  UNIX_FILE_CREATE_ERR: -511000,
  UNIX_FILE_STAT_ERR: -516000,
  UNIX_FILE_MKDIR_ERR: -520000,
  CAT_SQL_ERR: -806000,
  CAT_NO_ROWS_FOUND: -808000,
  CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME: -809000,
  CAT_INVALID_RESOURCE_TYPE: -810000,
  CAT_INVALID_RESOURCE_VAULT_PATH: -813000,
  CAT_UNKNOWN_COLLECTION: -814000,
  CAT_INVALID_ARGUMENT: -816000,
  CAT_UNKNOWN_FILE: -817000,
  CAT_NO_ACCESS_PERMISSION: -818000,
  CAT_INVALID_USER_TYPE: -820000,
  CAT_COLLECTION_NOT_EMPTY: -821000,
  CAT_INVALID_USER: -827000,
  CAT_INVALID_ZONE: -828000,
  CAT_INVALID_GROUP: -829000,
  CAT_INSUFFICIENT_PRIVILEGE_LEVEL: -830000,
  CAT_INVALID_RESOURCE: -831000,
  CAT_NAME_EXISTS_AS_COLLECTION: -833000,
  CAT_NAME_EXISTS_AS_DATAOBJ: -834000,
  CAT_RESOURCE_NOT_EMPTY: -835000,
  CAT_NOT_A_DATAOBJ_AND_NOT_A_COLLECTION: -836000,
  CAT_RECURSIVE_MOVE: -837000,
  CAT_INVALID_RESOURCE_NAME: -859000,
  CAT_RESOURCE_NAME_LENGTH_EXCEEDED: -861000,
  CAT_NO_CHECKSUM_FOR_REPLICA: -862000,
  INPUT_ARG_NOT_WELL_FORMED_ERR: -1084000,
  INVALID_OBJECT_TYPE: -1105000,
  NO_COLUMN_NAME_FOUND: -1107000,
  CHILD_EXISTS: -1802000,
  HIERARCHY_ERROR: -1803000,
  CHILD_NOT_FOUND: -1804000,
  INVALID_OPERATION: -1811000,
  CHILD_HAS_PARENT: -1812000,
  DIRECT_CHILD_ACCESS: -1816000,
  USER_NOT_IN_GROUP: -1830000,
} as const;

export type IrodsErrorName = keyof typeof IRODS_ERRORS;

/**
 * A failed iRODS operation: what a server API call (rs*) returns as a negative int, or what
 * the iRODS client libraries throw (irods::exception, filesystem_error). The HTTP layer decides
 * how it travels (HTTP 200 + negative status_code in most places, 400 in a few).
 */
export class IrodsFailure extends Error {
  readonly code: number;
  readonly errorName: IrodsErrorName;

  /** `code` overrides the table value for codes carrying errno (UNIX_FILE_STAT_ERR - 2). */
  constructor(errorName: IrodsErrorName, message?: string, code?: number) {
    super(message ?? errorName);
    this.name = 'IrodsFailure';
    this.errorName = errorName;
    this.code = code ?? IRODS_ERRORS[errorName];
  }
}

export function fail(errorName: IrodsErrorName, message?: string): never {
  throw new IrodsFailure(errorName, message);
}

/** UNIX_FILE_STAT_ERR and friends carry errno in the last three digits (e.g. -516002 for ENOENT). */
export function withErrno(base: number, errno: number): number {
  return base - Math.abs(errno);
}
