import { isAbsolute, relative } from 'node:path';
import { REPLICA_STATUS, type Catalog, type DataObject, type Replica } from './catalog.js';
import { fail } from './errors.js';
import { MAX_NAME_LEN, byteLength } from './limits.js';
import { isStorage, type Resource } from './resources.js';

/**
 * Where a replica's bytes go and which replica an operation gets: the hierarchy resolution and
 * voting of irods/irods server/core/src/irods_resource_redirect.cpp and voting.cpp (identical in
 * 4.3.5 and 5.0.2), reduced to the resource types the stand-in models.
 */

export type VoteOperation = 'open' | 'write' | 'unlink';

const VOTE = { zero: 0, low: 0.25, high: 1 } as const;

/**
 * DATA_PATH of a new replica under the default vault path policy (core.re
 * `msiSetGraftPathScheme("no","1")`, physPath.cpp setPathForGraftPathScheme): the resource's vault
 * path, then the logical path without its first element (the zone). USER_STRLEN_TOOLONG when the
 * result does not fit MAX_NAME_LEN.
 */
export function physicalPathFor(resource: Resource, lpath: string): string {
  const second = lpath.indexOf('/', 1);
  const rest = second < 0 ? '' : lpath.slice(second + 1);
  const path = `${resource.vaultPath}/${rest}`;
  if (byteLength(path) >= MAX_NAME_LEN) fail('USER_STRLEN_TOOLONG', `filePath too long for [${lpath}]`);
  return path;
}

/** True when `ppath` lies inside some storage resource's vault (registering there is an in-vault replica). */
export function isInsideAVault(catalog: Catalog, ppath: string): boolean {
  for (const resource of catalog.resources.all()) {
    if (!isStorage(resource) || !isAbsolute(resource.vaultPath)) continue;
    const rel = relative(resource.vaultPath, ppath);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return true;
  }
  return false;
}

/**
 * A resource named by a client (RESC_NAME_KW / DEST_RESC_NAME_KW, get_keyword_from_inp): it must
 * exist (SYS_RESC_DOES_NOT_EXIST) and be a root (DIRECT_CHILD_ACCESS).
 */
export function rootResourceNamed(catalog: Catalog, name: string): Resource {
  const resource = catalog.resources.get(name) ?? fail('SYS_RESC_DOES_NOT_EXIST', `resource [${name}] does not exist`);
  if (resource.parent) fail('DIRECT_CHILD_ACCESS', 'key_word contains child resource');
  return resource;
}

/**
 * The storage resource a new replica under `root` lands on (resolve_hier_for_create): passthru
 * hands the create to its child, replication to its first child (the others get their replicas
 * when the replica closes), unixfilesystem keeps it. A down resource or a coordinating one without
 * children cannot take it.
 */
export function storageForCreate(catalog: Catalog, root: Resource): Resource {
  if (catalog.resources.isDown(root)) fail('SYS_RESC_IS_DOWN', 'Cannot interact with resource marked down.');
  if (isStorage(root)) return root;
  const child = root.children.find((c) => !catalog.resources.isDown(c));
  if ((root.type === 'passthru' || root.type === 'replication') && child) return storageForCreate(catalog, child);
  return fail('HIERARCHY_ERROR', `no valid resource found for data object under [${root.name}]`);
}

/**
 * The storage resources a replication resource keeps in step with `written`: every storage leaf
 * below the nearest replication ancestor, except the one written (the replication plugin's
 * fileModified, run when the replica closes).
 */
export function replicationSiblings(catalog: Catalog, written: Resource): Resource[] {
  let node: Resource | undefined = written.parent;
  while (node && node.type !== 'replication') node = node.parent;
  if (!node) return [];
  const leaves: Resource[] = [];
  const collect = (r: Resource): void => {
    if (isStorage(r)) {
      if (r !== written) leaves.push(r);
      return;
    }
    for (const child of r.children) collect(child);
  };
  for (const child of node.children) collect(child);
  return leaves.filter((leaf) => !catalog.resources.isDown(leaf));
}

/** One replica's vote (voting.cpp calculate_with_repl_status); all hosts count as local. */
function vote(catalog: Catalog, replica: Replica, operation: VoteOperation, requested: number | undefined): number {
  if (catalog.resources.isDown(replica.resource)) return VOTE.zero;
  if (replica.status === REPLICA_STATUS.intermediate || replica.status === REPLICA_STATUS.writeLocked || replica.status === REPLICA_STATUS.readLocked) {
    return VOTE.zero;
  }
  if (requested !== undefined) return replica.number === requested ? VOTE.high : VOTE.low;
  const preferred = operation === 'unlink' ? REPLICA_STATUS.stale : REPLICA_STATUS.good;
  return replica.status === preferred ? VOTE.high : VOTE.low;
}

export interface ReplicaChoice {
  /** The root named by the client (its replicas win when they vote at all). */
  readonly keyword?: Resource | undefined;
  /** A replica number the client asked for (negative numbers count as none, as upstream). */
  readonly requested?: number | undefined;
}

/**
 * resolve_hier_for_open_or_write: each root holding a replica votes with its best replica; the
 * keyword's root wins when it votes above zero, otherwise the highest vote (ties: the root whose
 * name sorts first, as std::map iterates). A requested replica number must exist
 * (SYS_REPLICA_DOES_NOT_EXIST) and vote above zero (SYS_REPLICA_INACCESSIBLE); no vote at all is
 * HIERARCHY_ERROR.
 */
export function chooseReplica(catalog: Catalog, object: DataObject, operation: VoteOperation, choice: ReplicaChoice = {}): Replica {
  const requested = choice.requested !== undefined && choice.requested >= 0 ? choice.requested : undefined;
  if (object.replicas.length === 0) fail('SYS_REPLICA_DOES_NOT_EXIST', 'file object has no replicas');
  // file_object_factory refuses a replica number the object does not have before any vote.
  if (requested !== undefined && !object.replicas.some((r) => r.number === requested)) fail('SYS_REPLICA_DOES_NOT_EXIST', 'replica does not exist');
  const byRoot = new Map<string, Replica[]>();
  for (const replica of object.replicas) {
    const root = catalog.resources.rootOf(replica.resource).name;
    byRoot.set(root, [...(byRoot.get(root) ?? []), replica]);
  }
  let best: { replica: Replica; vote: number } | undefined;
  let keywordWinner: Replica | undefined;
  for (const root of [...byRoot.keys()].sort()) {
    let rootBest: { replica: Replica; vote: number } | undefined;
    for (const replica of byRoot.get(root) ?? []) {
      const v = vote(catalog, replica, operation, requested);
      if (!rootBest || v > rootBest.vote) rootBest = { replica, vote: v };
    }
    if (!rootBest) continue;
    if (!keywordWinner && rootBest.vote > VOTE.zero && choice.keyword?.name === root) keywordWinner = rootBest.replica;
    if (!best || rootBest.vote > best.vote) best = rootBest;
  }
  if (!best || best.vote <= VOTE.zero) fail('HIERARCHY_ERROR', 'no valid resource found for data object');
  if (requested !== undefined) {
    const target = object.replicas.find((r) => r.number === requested) ?? fail('SYS_REPLICA_DOES_NOT_EXIST', 'replica does not exist');
    if (vote(catalog, target, operation, requested) <= VOTE.zero) fail('SYS_REPLICA_INACCESSIBLE', `Requested replica [${requested}] of [${object.path}] voted 0.0.`);
    return target;
  }
  return keywordWinner ?? best.replica;
}

/** True when some replica of the object lives under `root` (hier_has_replica). */
export function hasReplicaUnder(catalog: Catalog, object: DataObject, root: Resource): boolean {
  return object.replicas.some((r) => catalog.resources.rootOf(r.resource) === root);
}

/** Good replicas, the latest modified first (fs::client::data_object_size and friends read the latest). */
export function latestGoodReplica(object: DataObject): Replica | undefined {
  let latest: Replica | undefined;
  for (const replica of object.replicas) {
    if (replica.status !== REPLICA_STATUS.good) continue;
    if (!latest || replica.modifyTime > latest.modifyTime) latest = replica;
  }
  return latest;
}
