import { Readable } from 'node:stream';
import { rechunk, writeSequential } from './chunked-write.js';
import type { ClientContext } from './client-context.js';
import { IrodsCode, IrodsError } from './errors.js';
import { writeParallel } from './parallel-write.js';
import { ObjectRangedReader } from './ranged-reader.js';
import { aclEntries, bool, num, requiredStr, str } from './response-fields.js';
import { adminFlag, createSharedOperations, lpathCalls } from './shared-operations.js';
import type { DataObjectStat, DataObjectsApi, ReadOptions, StreamWriteOptions, WriteResult } from './types.js';
import { sendWrite } from './write-request.js';

/** Room left in a request body for a multipart envelope around a chunk. */
const ENVELOPE_BYTES = 16 * 1024;

/** The chunk size writes use: the configured one, kept under the API's body limit. */
export function effectiveChunkBytes(writeChunkBytes: number, maxBodyBytes: number): number {
  return Math.max(1, Math.min(writeChunkBytes, maxBodyBytes - ENVELOPE_BYTES));
}

/** Whether a stream write of `size` bytes from `startOffset` should be a parallel write. */
export function shouldWriteInParallel(size: number | undefined, startOffset: number, threshold: number): boolean {
  return size !== undefined && size - startOffset >= threshold;
}

/** /data-objects operations (API.md "Data Object Operations"). */
export function createDataObjectsApi(ctx: ClientContext): DataObjectsApi {
  const t = ctx.transport;
  const endpoint = 'data-objects';
  const shared = createSharedOperations(ctx, endpoint);
  const { post, get } = lpathCalls(ctx, endpoint);
  const s = ctx.settings;

  const readParams = (lpath: string, options: ReadOptions | undefined) => ({
    lpath,
    offset: options?.offset,
    count: options?.count,
    resource: options?.resource,
    'replica-number': options?.replicaNumber,
  });

  const api: DataObjectsApi = {
    async stat(lpath): Promise<DataObjectStat> {
      const body = await get('stat', lpath, { lpath });
      const checksum = str(body, 'checksum');
      return {
        type: 'data_object',
        size: num(body, 'size'),
        checksum: checksum === '' ? undefined : checksum,
        permissions: aclEntries(body),
        registered: bool(body, 'registered'),
        modifiedAt: num(body, 'modified_at'),
      };
    },

    async read(lpath, options) {
      // A zero count would make the API read "the rest"; nothing to fetch instead.
      if (options?.count === 0) return Buffer.alloc(0);
      return t.bytes({ method: 'GET', endpoint, op: 'read', lpath, params: readParams(lpath, options), signal: options?.signal, idempotent: true });
    },

    async readStream(lpath, options): Promise<Readable> {
      if (options?.count === 0) return Readable.from([]);
      return t.stream({ method: 'GET', endpoint, op: 'read', lpath, params: readParams(lpath, options), signal: options?.signal, idempotent: true });
    },

    async writeChunk(lpath, data, options) {
      const offset = options?.offset ?? 0;
      await sendWrite(
        ctx,
        {
          lpath,
          offset,
          // The API truncates unless told otherwise; default to truncating only a write that
          // starts a new content at 0, never one that continues an object written in chunks.
          truncate: options?.truncate ?? (offset === 0 && !options?.append),
          append: options?.append,
          resource: options?.resource,
          signal: options?.signal,
        },
        data,
      );
    },

    async writeStream(lpath, source, options?: StreamWriteOptions): Promise<WriteResult> {
      const startOffset = options?.startOffset ?? 0;
      const limits = await ctx.serverLimits();
      const chunkBytes = effectiveChunkBytes(s.writeChunkBytes, Math.min(s.maxBodyBytes, limits.maxBodyBytes ?? Infinity));
      const chunks = rechunk(source, chunkBytes);
      const parallel = shouldWriteInParallel(options?.size, startOffset, s.parallelWriteThreshold);
      const started = performance.now();
      let bytesWritten: number;
      if (parallel) {
        const remaining = (options?.size ?? 0) - startOffset;
        const streams = Math.max(
          1,
          Math.min(s.parallelWriteStreams, limits.maxStreamsPerHandle ?? Infinity, Math.ceil(remaining / chunkBytes)),
        );
        bytesWritten = await writeParallel(ctx, lpath, chunks, {
          startOffset,
          streams,
          resource: options?.resource,
          signal: options?.signal,
          onProgress: options?.onProgress,
        });
      } else {
        bytesWritten = await writeSequential(
          (data, offset, truncate) =>
            sendWrite(ctx, { lpath, offset, truncate, resource: options?.resource, signal: options?.signal }, data),
          chunks,
          { startOffset, signal: options?.signal, onProgress: options?.onProgress },
        );
      }
      ctx.log?.debug(
        { lpath, bytes: bytesWritten, parallel, ms: Math.round(performance.now() - started) },
        'wrote data object',
      );
      return { bytesWritten, parallel };
    },

    async openRanged(lpath, options) {
      const size = options?.size ?? (await api.stat(lpath)).size;
      return new ObjectRangedReader(
        lpath,
        size,
        // A zero count would make the API read "the rest"; nothing to fetch instead.
        (offset, length, signal) =>
          length === 0
            ? Promise.resolve([])
            : t.pieces({
                method: 'GET',
                endpoint,
                op: 'read',
                lpath,
                params: readParams(lpath, { offset, count: length, ...(options?.replicaNumber !== undefined ? { replicaNumber: options.replicaNumber } : {}) }),
                signal,
                idempotent: true,
              }),
        { readAheadBytes: options?.readAheadBytes ?? s.readAheadBytes },
      );
    },

    async calculateChecksum(lpath, options) {
      const body = await post(
        'calculate_checksum',
        lpath,
        { lpath, resource: options?.resource, force: options?.force ?? false, admin: adminFlag(ctx, options) },
        // Computing a checksum again gives the same answer: safe to retry.
        { idempotent: true },
      );
      return requiredStr(body, 'checksum', 'data-objects/calculate_checksum', lpath);
    },

    async verifyChecksum(lpath, options) {
      const body = await get('verify_checksum', lpath, { lpath, resource: options?.resource, admin: adminFlag(ctx, options) });
      // The API sets `results` only when storage and catalog disagree.
      const results = body.results;
      const found = Array.isArray(results) ? results.length > 0 : typeof results === 'object' && results !== null && Object.keys(results).length > 0;
      if (found) {
        throw new IrodsError({
          status: 200,
          code: IrodsCode.CHECK_VERIFICATION_RESULTS,
          codeName: 'CHECK_VERIFICATION_RESULTS',
          op: 'data-objects/verify_checksum',
          lpath,
          message: `data-objects/verify_checksum ${lpath} failed: ${JSON.stringify(results).slice(0, 500)}`,
        });
      }
    },

    async register(lpath, ppath, options) {
      await post('register', lpath, {
        lpath,
        ppath,
        resource: options.resource,
        'as-additional-replica': options.asAdditionalReplica ?? false,
        'data-size': options.dataSize,
        checksum: options.checksum,
      });
    },

    async remove(lpath, options) {
      await post('remove', lpath, { lpath, 'catalog-only': options.catalogOnly, 'no-trash': options.noTrash ?? false, admin: adminFlag(ctx, options) });
    },

    async rename(oldLpath, newLpath) {
      await post('rename', oldLpath, { 'old-lpath': oldLpath, 'new-lpath': newLpath });
    },

    async copy(srcLpath, dstLpath, options) {
      await post('copy', srcLpath, { 'src-lpath': srcLpath, 'dst-lpath': dstLpath, overwrite: options?.overwrite ?? false });
    },

    async touch(lpath) {
      await post('touch', lpath, { lpath });
    },

    ...shared,
  };
  return api;
}
