/**
 * OMERO → iRODS user and group mapping, and the ACL plan for an expanded archive.
 * Pure logic plus loading the admin's mapping file; the permissions step applies the plan.
 */
export {
  defaultUserMap,
  parseUserMap,
  type GrantLevel,
  type IrodsUserRef,
  type NoGroupMatchPolicy,
  type NoMatchPolicy,
  type PrefixGrant,
  type PrefixRule,
  type UserMap,
} from './user-map.js';
export { loadUserMap, parseUserMapText } from './user-map-loader.js';
export { UserMapWatcher, type ReloadOutcome, type UserMapWatcherOptions } from './user-map-watcher.js';
export {
  NoGroupMappingError,
  NoUserMappingError,
  PlanInputError,
  UserMapError,
  type UserMapIssue,
} from './errors.js';
export {
  resolveOmeroGroup,
  resolveOmeroUser,
  sameNameCandidate,
  type KnownIrodsNames,
  type Resolution,
} from './identity-resolution.js';
export {
  operationsToApply,
  planPermissions,
  type AclBatch,
  type DecisionSubject,
  type OperationsToApply,
  type PermissionDecision,
  type PermissionPlan,
  type PlanPermissionsInput,
  type PlanWarning,
  type PlanWarningCode,
  type ProvenanceOwner,
} from './permission-plan.js';
export { accessLevel, diffAcls, type DiffOptions } from './acl-diff.js';
export {
  checkUserMapAgainstIrods,
  lookupSameNames,
  type IrodsEntityLookup,
  type UserMapCheckResult,
  type UserMapProblem,
  type UserMapProblemKind,
} from './irods-lookup.js';
export { entityName, parseUserName, type EntityKind, type IrodsEntity } from './irods-name.js';
export { checkUploader, type UploaderCheck } from './uploader-check.js';
