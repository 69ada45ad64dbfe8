/** The iRODS HTTP API client: everything other folders may import from src/irods. */
export { createIrodsClient, CLIENT_DEFAULTS } from './client.js';
export { IrodsError, IrodsCode, isNotFound, isAlreadyExists, isPermissionDenied } from './errors.js';
export { irodsCodeName } from './error-codes.js';
export type * from './types.js';
export { collectionAvus, dataObjectAvus, dataObjectsUnder, dataObjectsWithAttribute, type CatalogObject } from './catalog-queries.js';
