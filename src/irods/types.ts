import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Avu } from './avu-rules.js';

/**
 * The typed surface of the iRODS HTTP API client (API 0.7.0). Words as iRODS uses them:
 * lpath (logical path), collection, data object, AVU, ACL, replica.
 * Every method throws IrodsError (see errors.ts) when the HTTP status or the
 * irods_response.status_code says the operation failed.
 */

/** Permission names as `set_permission` accepts them (write = modify_object, read = read_object). */
export type Permission =
  | 'own'
  | 'delete_object'
  | 'modify_object'
  | 'write'
  | 'create_object'
  | 'delete_metadata'
  | 'modify_metadata'
  | 'create_metadata'
  | 'read_object'
  | 'read'
  | 'read_metadata'
  | 'null';

/** The four levels the atomic `modify_permissions` operation accepts. */
export type AclLevel = 'null' | 'read' | 'write' | 'own';

export interface AclEntry {
  readonly name: string;
  readonly zone: string;
  /** rodsuser, rodsgroup, rodsadmin, groupadmin */
  readonly type: string;
  /** As iRODS reports it: own, modify_object, read_object, ... */
  readonly perm: string;
}

export interface CollectionStat {
  readonly type: 'collection';
  readonly inheritanceEnabled: boolean;
  readonly permissions: readonly AclEntry[];
  readonly registered: boolean;
  /** Seconds since the epoch. */
  readonly modifiedAt: number;
}

export interface DataObjectStat {
  readonly type: 'data_object';
  readonly size: number;
  /** `sha2:<base64>` (or whatever the zone's scheme is); undefined when none was computed. */
  readonly checksum: string | undefined;
  readonly permissions: readonly AclEntry[];
  readonly registered: boolean;
  /** Seconds since the epoch. */
  readonly modifiedAt: number;
}

export type { Avu } from './avu-rules.js';

export interface MetadataOperation extends Avu {
  readonly operation: 'add' | 'remove';
}

export interface PermissionOperation {
  readonly entityName: string;
  readonly acl: AclLevel;
}

export interface AdminOption {
  /** Send admin=1 (ADMIN_KW): a rodsadmin acting on objects it has no ACL on. */
  readonly admin?: boolean;
}

export interface ReadOptions {
  readonly offset?: number;
  readonly count?: number;
  readonly resource?: string;
  readonly replicaNumber?: number;
  readonly signal?: AbortSignal;
}

export interface WriteOptions {
  /** Start of the write; default 0. */
  readonly offset?: number;
  /**
   * Truncate the object first. The API defaults to 1 (truncate); the client always sends it
   * explicitly. Default here: true for a write at offset 0 (which also creates the object),
   * false at any other offset (never cut an object being written in chunks).
   */
  readonly truncate?: boolean;
  readonly append?: boolean;
  readonly resource?: string;
  readonly signal?: AbortSignal;
}

export interface StreamWriteOptions {
  readonly resource?: string;
  readonly signal?: AbortSignal;
  /** Total size if known; sizes at or above the client's parallel threshold use a parallel write. */
  readonly size?: number;
  /** Resume: bytes already written at the start of the object (the source must start there too). */
  readonly startOffset?: number;
  /**
   * Called after each chunk lands, with the bytes this call has written so far as a contiguous
   * prefix from startOffset (parallel chunks may land out of order; the count only grows when
   * the gap closes), so startOffset + bytesWritten is always a safe resume point.
   */
  readonly onProgress?: (bytesWritten: number) => void;
}

export interface WriteResult {
  readonly bytesWritten: number;
  readonly parallel: boolean;
}

/** Random access over one data object: the shape yauzl needs (see src/archive). */
export interface RangedReader {
  readonly lpath: string;
  readonly size: number;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the object). */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** A stream of `length` bytes from `offset`, fetched in ranged requests with read-ahead. */
  createReadStream(offset: number, length: number, signal?: AbortSignal): Readable;
}

export interface UserInfo {
  readonly exists: boolean;
  readonly id?: string;
  /** rodsuser, rodsadmin, groupadmin, rodsgroup */
  readonly type?: string;
  readonly zone?: string;
}

/** What /resources stat says of a resource (the fields the agent uses). */
export interface ResourceInfo {
  readonly name: string;
  /** unixfilesystem, passthru, replication, … */
  readonly type: string;
  /** '' for a root resource, the parent's id otherwise. */
  readonly parentId: string;
  /** As the admin set it: '' or up or down. */
  readonly status: string;
}

export interface ResourcesApi {
  /** The resource, or undefined when the zone has none of that name. */
  stat(name: string): Promise<ResourceInfo | undefined>;
}

export interface ServerInfo {
  readonly apiVersion: string;
  readonly irodsZone?: string;
  readonly [key: string]: unknown;
}

export interface CollectionsApi {
  create(lpath: string, options?: { intermediates?: boolean }): Promise<{ created: boolean }>;
  remove(lpath: string, options?: { recurse?: boolean; noTrash?: boolean }): Promise<void>;
  stat(lpath: string): Promise<CollectionStat>;
  /** Absolute lpaths of the entries (collections and data objects). */
  list(lpath: string, options?: { recurse?: boolean }): Promise<string[]>;
  rename(oldLpath: string, newLpath: string): Promise<void>;
  touch(lpath: string): Promise<void>;
  setPermission(lpath: string, entityName: string, permission: Permission, options?: AdminOption): Promise<void>;
  setInheritance(lpath: string, enable: boolean, options?: AdminOption): Promise<void>;
  modifyPermissions(lpath: string, operations: readonly PermissionOperation[], options?: AdminOption): Promise<void>;
  modifyMetadata(lpath: string, operations: readonly MetadataOperation[], options?: AdminOption): Promise<void>;
}

export interface DataObjectsApi {
  stat(lpath: string): Promise<DataObjectStat>;
  /** Reads bytes into memory: for small ranges only. */
  read(lpath: string, options?: ReadOptions): Promise<Buffer>;
  /** Streams the object (or a range) without holding it in memory. */
  readStream(lpath: string, options?: ReadOptions): Promise<Readable>;
  /** One write request (must fit the API's body limit). */
  writeChunk(lpath: string, data: Buffer, options?: WriteOptions): Promise<void>;
  /**
   * Writes a whole stream: chunks under the body limit (header-style streaming write, offset,
   * truncate only on the first), or a parallel write for big sizes. Holds at most
   * (streams × chunk) bytes in memory.
   */
  writeStream(lpath: string, source: Readable | AsyncIterable<Buffer>, options?: StreamWriteOptions): Promise<WriteResult>;
  /** Random access over the object; `replicaNumber` pins every read to that replica. */
  openRanged(lpath: string, options?: { size?: number; readAheadBytes?: number; replicaNumber?: number }): Promise<RangedReader>;
  calculateChecksum(lpath: string, options?: AdminOption & { force?: boolean; resource?: string }): Promise<string>;
  verifyChecksum(lpath: string, options?: AdminOption & { resource?: string }): Promise<void>;
  register(
    lpath: string,
    ppath: string,
    options: { resource: string; asAdditionalReplica?: boolean; dataSize?: number; checksum?: string },
  ): Promise<void>;
  remove(lpath: string, options: { catalogOnly: boolean; noTrash?: boolean } & AdminOption): Promise<void>;
  rename(oldLpath: string, newLpath: string): Promise<void>;
  copy(srcLpath: string, dstLpath: string, options?: { overwrite?: boolean }): Promise<void>;
  touch(lpath: string): Promise<void>;
  setPermission(lpath: string, entityName: string, permission: Permission, options?: AdminOption): Promise<void>;
  modifyPermissions(lpath: string, operations: readonly PermissionOperation[], options?: AdminOption): Promise<void>;
  modifyMetadata(lpath: string, operations: readonly MetadataOperation[], options?: AdminOption): Promise<void>;
}

export interface QueryApi {
  /** GenQuery1, paged transparently past the server's row clamp (default 15 per call). */
  genquery(query: string, options?: { zone?: string; pageSize?: number; signal?: AbortSignal }): AsyncIterable<string[]>;
  /** All rows of a GenQuery1 query, in order. */
  genqueryAll(query: string, options?: { zone?: string; pageSize?: number }): Promise<string[][]>;
}

export interface UsersGroupsApi {
  stat(name: string, options?: { zone?: string }): Promise<UserInfo>;
  createUser(name: string, options: { zone: string; userType?: 'rodsuser' | 'rodsadmin' | 'groupadmin' }): Promise<void>;
  removeUser(name: string, options: { zone: string }): Promise<void>;
  setPassword(name: string, password: string, options: { zone: string }): Promise<void>;
  createGroup(name: string): Promise<void>;
  removeGroup(name: string): Promise<void>;
  addToGroup(user: string, group: string, options: { zone: string }): Promise<void>;
  removeFromGroup(user: string, group: string, options: { zone: string }): Promise<void>;
  isMemberOfGroup(group: string, user: string, options: { zone: string }): Promise<boolean>;
  users(): Promise<{ name: string; zone: string }[]>;
  groups(): Promise<string[]>;
}

export interface IrodsClient {
  /** The configured base URL, e.g. http://host:9000/irods-http-api/0.7.0 */
  readonly baseUrl: string;
  readonly username: string;
  info(): Promise<ServerInfo>;
  /** Authenticates now (normally done lazily on the first request). */
  authenticate(): Promise<void>;
  readonly collections: CollectionsApi;
  readonly dataObjects: DataObjectsApi;
  readonly query: QueryApi;
  readonly users: UsersGroupsApi;
  readonly resources: ResourcesApi;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

export interface IrodsClientOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly requestTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly writeChunkBytes?: number;
  readonly parallelWriteThreshold?: number;
  readonly parallelWriteStreams?: number;
  readonly readAheadBytes?: number;
  /** Default of AdminOption.admin for calls that do not say (the agent's rodsadmin account: true). */
  readonly admin?: boolean;
  /** Retries of idempotent reads, stats and queries on transport errors and 5xx (default 3, 250 ms → 4 s). */
  readonly retry?: IrodsRetryOptions;
  /** Retries of parallel_write_init answering 503 (stream pool exhausted) (default 8, 250 ms → 5 s). */
  readonly streamRetry?: IrodsRetryOptions;
  /** Keep-alive connections to the API at most (default 16). */
  readonly maxConnections?: number;
  /** Called once per HTTP request, for metrics (op is e.g. "data-objects/write"). */
  readonly onRequest?: (sample: { op: string; status: number; irodsStatus?: number; durationMs: number }) => void;
  readonly log?: Logger;
}

export interface IrodsRetryOptions {
  /** Retries after the first attempt; 0 disables them. */
  readonly retries?: number;
  readonly minTimeoutMs?: number;
  readonly maxTimeoutMs?: number;
}
