/** The iRODS HTTP API client: everything other folders may import from src/irods. */
export { createIrodsClient, CLIENT_DEFAULTS } from './client.js';
export { createIrodsClientFromConfig } from './client-from-config.js';
export { IrodsError, IrodsCode, isNotFound, isAlreadyExists, isPermissionDenied, isQuotaRefusal } from './errors.js';
export { irodsCodeName } from './error-codes.js';
export type * from './types.js';
