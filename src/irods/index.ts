/** The iRODS HTTP API client: everything other folders may import from src/irods. */
export { createIrodsClient, CLIENT_DEFAULTS } from './client.js';
export { IrodsError, IrodsCode, isNotFound, isAlreadyExists, isPermissionDenied, isQuotaRefusal } from './errors.js';
export { irodsCodeName } from './error-codes.js';
export type * from './types.js';
export {
  avusUnder,
  collectionAvus,
  dataObjectAvus,
  dataObjectsUnder,
  dataObjectsWithAttribute,
  nearestCollectionWithAttribute,
  type CatalogObject,
  type TreeAvu,
} from './catalog-queries.js';
export { lpathProblem, LONGEST_LPATH_BYTES, LONGEST_NAME_BYTES, MAX_PATH_ALLOWED, type LpathProblem } from './path-limits.js';
export { goodObjectsUnder, latestGoodReplica, listReplicas, type ReplicaInfo, type ReplicaStatus } from './replica-catalog.js';
export { DEFAULT_LOGICAL_QUOTAS_NAMESPACE, collectionAndAncestors, logicalQuotasOver, type LogicalQuota } from './logical-quotas.js';
