import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Replica } from '../catalog.js';
import { IrodsFailure } from '../errors.js';
import { parseLeadingInteger } from '../http/args.js';
import { authenticate, authenticated, type OperationHandler } from '../http/dispatch.js';
import { irodsResponse, sendIrods, sendOk, sendStatus } from '../http/reply.js';
import { closeReplica, openForWrite, writeOpenErrorCode, type OpenedReplica } from '../operations/replica-writes.js';
import type { ParallelWrite } from '../parallel-writes.js';
import type { Principal } from '../principals.js';
import { TooManyBytes, type OpenMode } from '../vault.js';
import type { Zone } from '../zone.js';

/**
 * The write family of /data-objects (irods_client_http_api endpoints/data_objects/src/main.cpp:
 * op_write, op_write_streaming, op_parallel_write_init, op_parallel_write_shutdown).
 */

const BAD_STATE = 'Output stream to data object is in a bad state.';

/** Parameters common to both write styles, from form fields or irods-api-request-* headers. */
interface WriteParams {
  readonly lpath: string | undefined;
  readonly truncate: string | undefined;
  readonly append: string | undefined;
  readonly offset: string | undefined;
  readonly resource: string | undefined;
  readonly replicaNumber: string | undefined;
  readonly handle: string | undefined;
  readonly streamIndex: string | undefined;
}

/** Where a write goes: a freshly opened replica, or one stream of a parallel-write handle. */
type WriteTarget =
  | { readonly kind: 'single'; readonly opened: OpenedReplica; size?: number }
  | { readonly kind: 'parallel'; readonly write: ParallelWrite; readonly release: () => void };

function badState(reply: FastifyReply, zone: Zone, err: IrodsFailure): FastifyReply {
  return sendIrods(reply, irodsResponse(writeOpenErrorCode(zone, err), BAD_STATE));
}

/**
 * Resolves the target as both handlers do: a parallel-write handle (unknown → 400, a bad
 * stream-index → 400, all streams busy → 429) or lpath opened with truncate (default 1) and
 * append; an open failure is HTTP 200 + INVALID_HANDLE "Output stream ... bad state".
 */
async function resolveTarget(zone: Zone, user: Principal, reply: FastifyReply, p: WriteParams): Promise<WriteTarget | undefined> {
  if (p.handle !== undefined) {
    const write = zone.parallelWrites.get(p.handle);
    if (!write) {
      sendStatus(reply, 400);
      return undefined;
    }
    if (p.streamIndex !== undefined) {
      const index = parseLeadingInteger(p.streamIndex);
      if (index === undefined || index < 0 || index >= write.inUse.length) {
        sendStatus(reply, 400);
        return undefined;
      }
      return { kind: 'parallel', write, release: () => undefined };
    }
    const free = write.inUse.indexOf(false);
    if (free < 0) {
      sendStatus(reply, 429);
      return undefined;
    }
    write.inUse[free] = true;
    return { kind: 'parallel', write, release: () => (write.inUse[free] = false) };
  }
  if (p.lpath === undefined) {
    sendStatus(reply, 400);
    return undefined;
  }
  if (p.resource === undefined && p.replicaNumber !== undefined && parseLeadingInteger(p.replicaNumber) === undefined) {
    sendStatus(reply, 400);
    return undefined;
  }
  const append = p.append === '1';
  try {
    const opened = openForWrite(zone, user, p.lpath, {
      truncate: p.truncate !== '0',
      append,
      resource: p.resource,
      replicaNumber: p.resource === undefined ? parseLeadingInteger(p.replicaNumber) : undefined,
    });
    return { kind: 'single', opened };
  } catch (err) {
    if (err instanceof IrodsFailure) {
      badState(reply, zone, err);
      return undefined;
    }
    throw err;
  }
}

/** seekp(offset): not a number → 400; negative → the stream goes bad (INVALID_HANDLE). */
function resolveOffset(text: string | undefined): number | 'invalid' | 'negative' {
  if (text === undefined) return 0;
  const offset = parseLeadingInteger(text);
  if (offset === undefined) return 'invalid';
  return offset < 0 ? 'negative' : offset;
}

function targetReplica(target: WriteTarget): Replica {
  return target.kind === 'single' ? target.opened.replica : target.write.opened.replica;
}

/** A parallel stream was opened (and truncated) at init: its writes never truncate again. */
function openMode(target: WriteTarget): OpenMode {
  if (target.kind === 'single') return target.opened.mode;
  return target.write.append ? 'append' : 'keep';
}

/** Writes one buffer through the target, remembering the resulting size for the close. */
async function writeBytes(zone: Zone, target: WriteTarget, offset: number, bytes: Buffer): Promise<void> {
  const size = await zone.vault.write(targetReplica(target).physicalPath, openMode(target), offset, bytes);
  if (target.kind === 'single') target.size = size;
}

/**
 * Runs the write, then closes a single-write replica (parallel streams stay open) before
 * answering. A single write that wrote nothing still had its replica opened: created or
 * truncated as the open flags say.
 */
async function closingAfter(zone: Zone, target: WriteTarget, work: () => Promise<() => FastifyReply>): Promise<() => FastifyReply> {
  try {
    return await work();
  } finally {
    if (target.kind === 'single') {
      if (target.size === undefined) await zone.vault.touch(target.opened.replica.physicalPath, target.opened.mode);
      await closeReplica(zone, target.opened, target.size);
    } else {
      target.release();
    }
  }
}

/** op_write: form style; the bytes are the `bytes` field (multipart keeps binary intact). */
export const writeForm: OperationHandler = authenticated(async ({ zone, reply, args }, user) => {
  const target = await resolveTarget(zone, user, reply, {
    lpath: args.text('lpath'),
    truncate: args.text('truncate'),
    append: args.text('append'),
    offset: args.text('offset'),
    resource: args.text('resource'),
    replicaNumber: args.text('replica-number'),
    handle: args.text('parallel-write-handle'),
    streamIndex: args.text('stream-index'),
  });
  if (!target) return;
  // The replica is closed (and the catalog updated) before the response goes out, as upstream
  // closes the stream first so that policy runs before the client hears back.
  const respond = await closingAfter(zone, target, async () => {
    const offset = resolveOffset(args.text('offset'));
    if (offset === 'invalid') return () => sendStatus(reply, 400);
    if (offset === 'negative') return () => badState(reply, zone, new IrodsFailure('SYS_INVALID_INPUT_PARAM'));
    const bytes = args.bytes('bytes');
    if (bytes === undefined) return () => sendStatus(reply, 400);
    if (bytes.length > 0) await writeBytes(zone, target, offset, bytes);
    return () => sendOk(reply);
  });
  return respond();
});

/** Headers of the header-style write; Node hands header values over as latin1 text. */
function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[`irods-api-request-${name}`];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined ? undefined : Buffer.from(text, 'latin1').toString('utf8');
}

/**
 * op_write_streaming (0.6.0+): every parameter travels in an `irods-api-request-*` header and
 * the raw body holds the bytes, streamed to the replica as it arrives (no buffering of the whole
 * body). Dispatched before any body parsing, whatever the Content-Type.
 */
export async function writeStreaming(zone: Zone, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const user = authenticate({ zone, request, reply });
  if (!user) return;
  const target = await resolveTarget(zone, user, reply, {
    lpath: header(request, 'lpath'),
    truncate: header(request, 'truncate'),
    append: header(request, 'append'),
    offset: header(request, 'offset'),
    resource: header(request, 'resource'),
    replicaNumber: header(request, 'replica-number'),
    handle: header(request, 'parallel-write-handle'),
    streamIndex: header(request, 'stream-index'),
  });
  if (!target) return;
  const respond = await closingAfter(zone, target, async () => {
    const offset = resolveOffset(header(request, 'offset'));
    if (offset === 'invalid') return () => sendStatus(reply, 400);
    if (offset === 'negative') return () => badState(reply, zone, new IrodsFailure('SYS_INVALID_INPUT_PARAM'));
    try {
      const size = await zone.vault.writeStream(targetReplica(target).physicalPath, openMode(target), offset, request.raw, zone.settings.maxBodyBytes);
      if (target.kind === 'single') target.size = size;
    } catch (err) {
      // A body that outgrows the limit mid-stream (chunked) fails the read: 500, as upstream.
      if (err instanceof TooManyBytes) return () => sendStatus(reply.header('connection', 'close'), 500);
      throw err;
    }
    return () => sendOk(reply);
  });
  return respond();
}

/** op_parallel_write_init: opens `stream-count` streams on one replica and returns the handle. */
export const parallelWriteInit: OperationHandler = authenticated(async ({ zone, reply, args }, user) => {
  const lpath = args.text('lpath');
  if (lpath === undefined) return sendStatus(reply, 400);
  const countText = args.text('stream-count');
  if (countText === undefined) return sendStatus(reply, 400);
  const streamCount = parseLeadingInteger(countText);
  // std::stoi outside any inner try: a non-number escapes to the generic handler (500).
  if (streamCount === undefined) return sendStatus(reply, 500);
  if (streamCount < 1) return sendStatus(reply, 400);
  const check = zone.parallelWrites.check(streamCount);
  if (check === 'too-many-for-handle') return sendStatus(reply, 400);
  if (check === 'pool-exhausted') return sendStatus(reply, 503);
  const resource = args.text('resource');
  const replicaNumber = args.text('replica-number');
  if (resource === undefined && replicaNumber !== undefined && parseLeadingInteger(replicaNumber) === undefined) return sendStatus(reply, 400);
  const append = args.flag('append');
  try {
    const opened = openForWrite(zone, user, lpath, {
      truncate: args.text('truncate') !== '0',
      append,
      resource,
      replicaNumber: resource === undefined ? parseLeadingInteger(replicaNumber) : undefined,
    });
    // The streams open (creating or truncating the replica) here; their writes never truncate.
    await zone.vault.touch(opened.replica.physicalPath, opened.mode);
    const write = zone.parallelWrites.open(opened, user.name, streamCount, append);
    return sendOk(reply, { parallel_write_handle: write.handle });
  } catch (err) {
    if (err instanceof IrodsFailure) return sendIrods(reply, irodsResponse(writeOpenErrorCode(zone, err), `Could not open output stream to [${lpath}].`));
    throw err;
  }
});

/**
 * op_parallel_write_shutdown: closes the streams (the primary last, which updates the catalog)
 * and releases them to the pool. An unknown handle is not an error.
 */
export const parallelWriteShutdown: OperationHandler = authenticated(async ({ zone, reply, args }) => {
  const handle = args.text('parallel-write-handle');
  if (handle === undefined) return sendStatus(reply, 400);
  const write = zone.parallelWrites.close(handle);
  if (write) await closeReplica(zone, write.opened);
  return sendOk(reply);
});
