/**
 * The catalog layer: typed questions about the iRODS catalog over GenQuery1. Query text and
 * literal quoting live in genquery-text.ts only; outside src/irods nothing writes GenQuery
 * (eslint.config.js keeps it so).
 */
export { canQuery, UnquotableQueryError } from './genquery-text.js';
export { collectionAndAncestors, isWithin, joinLpath, splitLpath } from './lpaths.js';
export { dataObjectsNamedLike, dataObjectsUnder, goodObjectsUnder, type CatalogObject, type NamedObject } from './objects.js';
export {
  avusUnder,
  collectionAttributeValues,
  collectionAvus,
  dataObjectAvus,
  dataObjectPathsWithAttribute,
  dataObjectsWithAttribute,
  nearestCollectionWithAttribute,
  type AvuHolder,
  type DataObjectAvu,
} from './avus.js';
export { latestGoodReplica, listReplicas, type ReplicaInfo, type ReplicaStatus } from './replicas.js';
export { readTreeAcls, type ObjectAcl, type TreeAcls } from './acls.js';
export { usersById, type CatalogPrincipal } from './users.js';
export { DEFAULT_LOGICAL_QUOTAS_NAMESPACE, logicalQuotasOver, type LogicalQuota } from './logical-quotas.js';
