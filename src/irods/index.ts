/** The iRODS HTTP API client: everything other folders may import from src/irods. */
export { createIrodsClient, CLIENT_DEFAULTS } from './client.js';
export { IrodsError, IrodsCode, isNotFound, isAlreadyExists, isPermissionDenied, isQuotaRefusal } from './errors.js';
export { irodsCodeName } from './error-codes.js';
export type * from './types.js';
export * from './catalog/index.js';
export { IRODS_AVU_LIMITS, avuKey, planAvuSync, type AvuHolderKind, type AvuLimits, type AvuSyncPlan } from './avu-rules.js';
export { lpathProblem, LONGEST_LPATH_BYTES, LONGEST_NAME_BYTES, MAX_PATH_ALLOWED, type LpathProblem } from './path-limits.js';
