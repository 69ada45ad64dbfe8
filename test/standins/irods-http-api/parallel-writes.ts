import { randomUUID } from 'node:crypto';
import type { DataObject } from './catalog.js';
import type { OpenedReplica } from './operations/replica-writes.js';

export interface ParallelWrite {
  readonly handle: string;
  /** The replica the streams write (opened once, by the primary stream). */
  readonly opened: OpenedReplica;
  readonly username: string;
  /** O_APPEND: every write lands at the end whatever its offset. */
  readonly append: boolean;
  /** One flag per stream: a stream serves one write at a time. */
  readonly inUse: boolean[];
}

export type ReserveResult = 'ok' | 'too-many-for-handle' | 'pool-exhausted';

/**
 * Parallel-write handles and the global stream pool of 0.7.0 (irods_client_http_api
 * endpoints/data_objects op_parallel_write_init): a handle holds `stream-count` open replicas;
 * the sum over all handles and clients may not exceed max_number_of_parallel_write_streams
 * (503 when it would), and one handle may not exceed max_number_of_streams_per_parallel_write_handle
 * (400). Streams are released only by parallel_write_shutdown.
 */
export class ParallelWrites {
  private readonly writes = new Map<string, ParallelWrite>();
  private activeStreams = 0;

  constructor(
    readonly maxStreams: number,
    readonly maxStreamsPerHandle: number,
  ) {}

  get active(): number {
    return this.activeStreams;
  }

  check(streamCount: number): ReserveResult {
    if (streamCount > this.maxStreamsPerHandle) return 'too-many-for-handle';
    if (this.activeStreams + streamCount > this.maxStreams) return 'pool-exhausted';
    return 'ok';
  }

  open(opened: OpenedReplica, username: string, streamCount: number, append: boolean): ParallelWrite {
    const write: ParallelWrite = {
      handle: randomUUID(),
      opened,
      username,
      append,
      inUse: Array.from({ length: streamCount }, () => false),
    };
    this.writes.set(write.handle, write);
    this.activeStreams += streamCount;
    return write;
  }

  get(handle: string): ParallelWrite | undefined {
    return this.writes.get(handle);
  }

  /** True while some handle holds the object open: its replica stays intermediate. */
  isOpen(object: DataObject): boolean {
    for (const write of this.writes.values()) if (write.opened.object === object) return true;
    return false;
  }

  close(handle: string): ParallelWrite | undefined {
    const write = this.writes.get(handle);
    if (!write) return undefined;
    this.writes.delete(handle);
    this.activeStreams -= write.inUse.length;
    return write;
  }

  closeAll(): void {
    this.writes.clear();
    this.activeStreams = 0;
  }
}
