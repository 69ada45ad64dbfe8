import type { QueryApi } from './types.js';

/** R_DATA_MAIN.data_is_dirty (irods/irods lib/core/include/irods/objInfo.h). */
export type ReplicaStatus = 'stale' | 'good' | 'intermediate' | 'read_locked' | 'write_locked' | 'unknown';

const STATUS: Readonly<Record<string, ReplicaStatus>> = { '0': 'stale', '1': 'good', '2': 'intermediate', '3': 'read_locked', '4': 'write_locked' };

/** One replica of a data object, as the catalog records it. */
export interface ReplicaInfo {
  readonly number: number;
  readonly status: ReplicaStatus;
  readonly size: number;
  /** undefined when none was computed. */
  readonly checksum: string | undefined;
  /** The storage (leaf) resource holding it. */
  readonly resource: string;
  /** DATA_MODIFY_TIME, seconds since the epoch. */
  readonly modifiedAt: number;
}

/** GenQuery1 literal: the caller must refuse paths holding a single quote (GenQuery1 cannot quote one). */
function splitLpath(lpath: string): { collection: string; name: string } {
  const slash = lpath.lastIndexOf('/');
  return { collection: slash <= 0 ? '/' : lpath.slice(0, slash), name: lpath.slice(slash + 1) };
}

/** Every replica of the data object at `lpath`, by number (empty when there is no such object). */
export async function listReplicas(query: QueryApi, lpath: string, signal?: AbortSignal): Promise<ReplicaInfo[]> {
  const { collection, name } = splitLpath(lpath);
  const replicas: ReplicaInfo[] = [];
  for await (const [num = '', status = '', size = '0', checksum = '', resource = '', mtime = '0'] of query.genquery(
    `select DATA_REPL_NUM, DATA_REPL_STATUS, DATA_SIZE, DATA_CHECKSUM, DATA_RESC_NAME, DATA_MODIFY_TIME where COLL_NAME = '${collection}' and DATA_NAME = '${name}'`,
    { signal },
  )) {
    replicas.push({
      number: Number(num),
      status: STATUS[status] ?? 'unknown',
      size: Number(size),
      checksum: checksum === '' ? undefined : checksum,
      resource,
      modifiedAt: Number(mtime),
    });
  }
  return replicas.sort((a, b) => a.number - b.number);
}

/**
 * The replica a reader should use: a good one, the most recently modified if several (the one
 * whose size and checksum the HTTP API's stat reports: fs::client::data_object_size and
 * data_object_checksum take the latest good replica). Never a stale, intermediate or locked one.
 */
export function latestGoodReplica(replicas: readonly ReplicaInfo[]): ReplicaInfo | undefined {
  let latest: ReplicaInfo | undefined;
  for (const replica of replicas) {
    if (replica.status !== 'good') continue;
    if (!latest || replica.modifiedAt > latest.modifiedAt) latest = replica;
  }
  return latest;
}

/** Good replicas of the data objects below `root` (root included), by lpath: what a resumed run may keep. */
export async function goodObjectsUnder(query: QueryApi, root: string, signal?: AbortSignal): Promise<Map<string, { size: number; checksum: string | undefined }>> {
  const found = new Map<string, { size: number; checksum: string | undefined }>();
  for await (const [coll = '', name = '', size = '0', checksum = ''] of query.genquery(
    `select COLL_NAME, DATA_NAME, DATA_SIZE, DATA_CHECKSUM where COLL_NAME like '${root}%' and DATA_REPL_STATUS = '1'`,
    { signal },
  )) {
    // like 'root%' also matches siblings such as root-old: keep the tree only.
    if (coll !== root && !coll.startsWith(`${root}/`)) continue;
    found.set(`${coll}/${name}`, { size: Number(size), checksum: checksum || undefined });
  }
  return found;
}
