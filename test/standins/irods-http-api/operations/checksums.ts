import { REPLICA_STATUS, type DataObject, type Replica } from '../catalog.js';
import { IRODS_ERRORS, fail, withErrno } from '../errors.js';
import { ACCESS, isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { lookupForAccess } from './object-lookup.js';

/**
 * rsDataObjChksum (irods/irods server/api/src/rsDataObjChksum.cpp, 4.3.5 = 5.0.2): without a
 * target replica, every good replica is checksummed (lookup-or-update) or verified; with
 * `replica-number` or `resource`, that one replica, which may be stale but not locked.
 */

export interface ReplicaTarget {
  readonly replicaNumber?: string | undefined;
  readonly resource?: string | undefined;
}

export interface ChecksumOptions extends ReplicaTarget {
  readonly force: boolean;
  readonly admin: boolean;
  readonly all: boolean;
}

/** USER_INCOMPATIBLE_PARAMS for contradicting targets, then the admin flag, as both paths check first. */
function checkTargetOptions(user: Principal, options: ReplicaTarget & { readonly all: boolean; readonly admin: boolean }): void {
  if (options.replicaNumber !== undefined && options.resource !== undefined) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.all && (options.replicaNumber !== undefined || options.resource !== undefined)) fail('USER_INCOMPATIBLE_PARAMS');
  if (options.admin && !isAdmin(user)) fail('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
}

/** The replica a client targeted, which must be good or stale (check_replica_accessibility). */
function targetedReplica(zone: Zone, object: DataObject, target: ReplicaTarget): Replica | undefined {
  let candidates: Replica[];
  const number = target.replicaNumber;
  if (number !== undefined) {
    candidates = object.replicas.filter((r) => String(r.number) === number.trim());
  } else if (target.resource !== undefined) {
    candidates = object.replicas.filter((r) => zone.catalog.resources.rootOf(r.resource).name === target.resource);
  } else {
    return undefined;
  }
  // sortObjInfoForOpen: a good replica first.
  const replica = candidates.find((r) => r.status === REPLICA_STATUS.good) ?? candidates[0] ?? fail('SYS_REPLICA_DOES_NOT_EXIST');
  if (replica.status !== REPLICA_STATUS.good && replica.status !== REPLICA_STATUS.stale) fail('SYS_REPLICA_INACCESSIBLE');
  return replica;
}

function goodReplicas(object: DataObject): Replica[] {
  return object.replicas.filter((r) => r.status === REPLICA_STATUS.good);
}

async function computeAndRecord(zone: Zone, replica: Replica): Promise<string> {
  replica.checksum = await zone.vault.checksum(replica.physicalPath);
  zone.catalog.touch();
  return replica.checksum;
}

/**
 * do_lookup_or_update: returns the recorded checksum unless `force`; otherwise computes SHA-256
 * over the replica and records `sha2:<base64>`. Without a target every good replica is done and
 * the last one's checksum returned ('' when they differ: upstream returns no checksum then).
 */
export async function calculateChecksum(zone: Zone, user: Principal, lpath: string, options: ChecksumOptions): Promise<string> {
  checkTargetOptions(user, options);
  const object = lookupForAccess(zone, user, lpath, ACCESS.read_object);
  const targeted = targetedReplica(zone, object, options);
  if (targeted) return !options.force && targeted.checksum !== '' ? targeted.checksum : computeAndRecord(zone, targeted);
  const good = goodReplicas(object);
  if (good.length === 0) fail('SYS_NO_GOOD_REPLICA');
  const sums = new Set<string>();
  let last = '';
  for (const replica of good) {
    last = !options.force && replica.checksum !== '' ? replica.checksum : await computeAndRecord(zone, replica);
    sums.add(last);
  }
  return sums.size > 1 ? '' : last;
}

export interface VerificationResult {
  readonly severity: 'info' | 'warning' | 'error';
  readonly error_code: number;
  readonly message: string;
}

async function sizeFinding(zone: Zone, replica: Replica): Promise<VerificationResult | undefined> {
  const physicalSize = await zone.vault.size(replica.physicalPath).catch(() => -1);
  if (physicalSize < 0) {
    return { severity: 'error', error_code: withErrno(IRODS_ERRORS.UNIX_FILE_STAT_ERR, 2), message: `ERROR: Could not verify size for replica [${replica.number}].` };
  }
  if (physicalSize !== replica.size) {
    return { severity: 'error', error_code: IRODS_ERRORS.USER_FILE_SIZE_MISMATCH, message: `ERROR: Physical size does not match size in catalog for replica [${replica.number}].` };
  }
  return undefined;
}

function noChecksum(replica: Replica): VerificationResult {
  return { severity: 'warning', error_code: IRODS_ERRORS.CAT_NO_CHECKSUM_FOR_REPLICA, message: `WARNING: No checksum available for replica [${replica.number}].` };
}

async function checksumFinding(zone: Zone, replica: Replica): Promise<VerificationResult | undefined> {
  const computed = await zone.vault.checksum(replica.physicalPath).catch(() => undefined);
  if (computed === replica.checksum) return undefined;
  return computed === undefined
    ? { severity: 'error', error_code: withErrno(IRODS_ERRORS.UNIX_FILE_STAT_ERR, 2), message: `ERROR: Could not verify checksum for replica [${replica.number}].` }
    : { severity: 'error', error_code: IRODS_ERRORS.USER_CHKSUM_MISMATCH, message: `ERROR: Computed checksum does not match what is in the catalog for replica [${replica.number}].` };
}

/**
 * do_verification: compares physical sizes with the catalog's, reports missing checksums as
 * warnings, and unless compute-checksums=0 recomputes and compares the checksums; across good
 * replicas it also counts the replicas skipped and flags differing checksums.
 */
export async function verifyChecksum(
  zone: Zone,
  user: Principal,
  lpath: string,
  options: ReplicaTarget & { readonly admin: boolean; readonly compute: boolean },
): Promise<VerificationResult[]> {
  checkTargetOptions(user, { ...options, all: false });
  const object = lookupForAccess(zone, user, lpath, ACCESS.read_object);
  const results: VerificationResult[] = [];
  const push = (finding: VerificationResult | undefined): void => {
    if (finding) results.push(finding);
  };
  const targeted = targetedReplica(zone, object, options);
  if (targeted) {
    push(await sizeFinding(zone, targeted));
    if (targeted.checksum === '') return [...results, noChecksum(targeted)];
    if (options.compute) push(await checksumFinding(zone, targeted));
    return results;
  }
  const good = goodReplicas(object);
  if (good.length === 0) fail('SYS_NO_GOOD_REPLICA');
  const skipped = object.replicas.length - good.length;
  if (skipped > 0) results.push({ severity: 'info', error_code: 0, message: `INFO: Number of replicas skipped: ${skipped}` });
  for (const replica of good) push(await sizeFinding(zone, replica));
  const missing = good.filter((r) => r.checksum === '');
  if (missing.length > 0) return [...results, ...missing.map(noChecksum)];
  if (options.compute) for (const replica of good) push(await checksumFinding(zone, replica));
  if (new Set(good.map((r) => r.checksum)).size > 1) {
    results.push({ severity: 'warning', error_code: IRODS_ERRORS.USER_CHKSUM_MISMATCH, message: 'WARNING: Data object has replicas with different checksums.' });
  }
  return results;
}
