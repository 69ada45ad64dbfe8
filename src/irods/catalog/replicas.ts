import type { QueryApi } from '../types.js';
import { equals, genquery1 } from './genquery-text.js';
import { splitLpath } from './lpaths.js';

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

/** Every replica of the data object at `lpath`, by number (empty when there is no such object). */
export async function listReplicas(query: QueryApi, lpath: string, signal?: AbortSignal): Promise<ReplicaInfo[]> {
  const { collection, name } = splitLpath(lpath);
  const replicas: ReplicaInfo[] = [];
  for await (const [num = '', status = '', size = '0', checksum = '', resource = '', mtime = '0'] of query.genquery(
    genquery1(
      ['DATA_REPL_NUM', 'DATA_REPL_STATUS', 'DATA_SIZE', 'DATA_CHECKSUM', 'DATA_RESC_NAME', 'DATA_MODIFY_TIME'],
      [equals('COLL_NAME', collection), equals('DATA_NAME', name)],
    ),
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
