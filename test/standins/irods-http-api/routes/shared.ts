import type { FastifyReply } from 'fastify';
import type { CatalogObject } from '../catalog.js';
import type { RequestArgs } from '../http/args.js';
import { irodsResponse, sendIrods, sendStatus } from '../http/reply.js';
import { AtomicFailure, applyAclOperations } from '../operations/acls.js';
import { applyMetadataOperations, type MetadataEntityType } from '../operations/metadata.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { throwIfPathTooLong } from '../limits.js';

/** The `operations` parameter as nlohmann parses it; invalid JSON escapes as a std::exception: 500. */
export function parseOperations(reply: FastifyReply, args: RequestArgs): { ok: true; value: unknown } | { ok: false } {
  const text = args.text('operations');
  if (text === undefined) {
    sendStatus(reply, 400);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    sendStatus(reply, 500);
    return { ok: false };
  }
}

/**
 * The shared atomic operations (endpoints/shared/src/shared_api_operations.cpp): HTTP 400 when
 * the API call fails, with `failed_operation` beside the status code; on success the API's "{}"
 * output still comes back as `failed_operation: {}`.
 */
function sendAtomicOutcome(reply: FastifyReply, run: () => void): FastifyReply {
  try {
    run();
    return sendIrods(reply, { ...irodsResponse(0), failed_operation: {} });
  } catch (err) {
    if (err instanceof AtomicFailure) {
      return sendIrods(reply, { ...irodsResponse(err.code), failed_operation: err.failedOperation }, {}, 400);
    }
    throw err;
  }
}

export function modifyPermissions(zone: Zone, user: Principal, reply: FastifyReply, target: CatalogObject, args: RequestArgs): FastifyReply | undefined {
  const operations = parseOperations(reply, args);
  if (!operations.ok) return undefined;
  return sendAtomicOutcome(reply, () => applyAclOperations(zone, user, target, operations.value, args.flag('admin')));
}

export function modifyMetadata(
  zone: Zone,
  user: Principal,
  reply: FastifyReply,
  args: RequestArgs,
  entityType: MetadataEntityType,
  nameParam: 'lpath' | 'name',
): FastifyReply | undefined {
  const operations = args.text('operations');
  if (operations === undefined) return sendStatus(reply, 400);
  const entityName = args.text(nameParam);
  if (entityName === undefined) return sendStatus(reply, 400);
  // fs::client::is_data_object / is_collection check the path's length first (limits.ts).
  if (entityType === 'collection' || entityType === 'data_object') throwIfPathTooLong(entityName);
  const parsed = parseOperations(reply, args);
  if (!parsed.ok) return undefined;
  return sendAtomicOutcome(reply, () => applyMetadataOperations(zone, user, entityType, entityName, parsed.value, args.flag('admin')));
}
