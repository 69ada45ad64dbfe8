import type { FastifyReply } from 'fastify';
import type { Replica } from '../catalog.js';
import { IRODS_ERRORS, IrodsFailure } from '../errors.js';
import { parseLeadingInteger, type RequestArgs } from '../http/args.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { SERVER_HEADER, irodsResponse, sendFailure, sendIrods, sendOk, sendStatus } from '../http/reply.js';
import { setPermission } from '../operations/acls.js';
import { calculateChecksum, verifyChecksum } from '../operations/checksums.js';
import { copyDataObject, registerDataObject, removeDataObject, renameDataObject, touchDataObject } from '../operations/data-objects.js';
import { statusOf, visibleDataObject } from '../operations/object-status.js';
import { REPLICA_PROPERTIES, modifyReplica, replicate, trim, truncate, type ReplicaChanges } from '../operations/replicas.js';
import { ACCESS, accessName, hasAccess, isAdmin, parsePermissionName } from '../permissions.js';
import { chooseReplica, latestGoodReplica, rootResourceNamed } from '../replica-placement.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { parallelWriteInit, parallelWriteShutdown, writeForm } from './data-object-writes.js';
import { MAX_NAME_LEN, asObjPath, byteLength, throwIfPathTooLong } from '../limits.js';
import { modifyMetadata, modifyPermissions } from './shared.js';

/** /data-objects (irods_client_http_api endpoints/data_objects/src/main.cpp). */

const NOT_A_DATA_OBJECT_BODY = JSON.stringify({ irods_response: { status_code: IRODS_ERRORS.NOT_A_DATA_OBJECT } });

/** max_number_of_bytes_per_read_operation: reads above it are streamed with chunked encoding. */
const READ_BUFFER_BYTES = 1 << 20;

/** Runs a server-API call whose failure upstream reports as `{"status_code": ec}` only (no message). */
async function codeOnly(reply: FastifyReply, call: () => unknown): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (err instanceof IrodsFailure) {
      sendFailure(reply, err, { message: false });
      return false;
    }
    throw err;
  }
}

async function read(zone: Zone, user: Principal, reply: FastifyReply, args: RequestArgs): Promise<unknown> {
  const lpath = args.text('lpath');
  if (lpath === undefined) return sendStatus(reply, 400);
  // fs::client::status refuses an over-long path with a filesystem_error, which read answers with 500.
  if (byteLength(lpath) >= MAX_NAME_LEN) return sendStatus(reply, 500);
  const object = visibleDataObject(zone.catalog, user, lpath);
  // "does not point to a data object or does not exist": 404 with an empty body.
  if (!object) return sendStatus(reply, 404);
  let offset = 0;
  if (args.has('offset')) {
    const parsed = parseLeadingInteger(args.text('offset'));
    if (parsed === undefined || parsed < 0) return sendStatus(reply, 400);
    offset = parsed;
  }
  // data_object_size() takes the latest good replica's size; without one it throws and the read is a 500.
  const latest = latestGoodReplica(object);
  if (!latest) return sendStatus(reply, 500);
  let count = latest.size - offset;
  if (args.has('count')) {
    const parsed = parseLeadingInteger(args.text('count'));
    if (parsed === undefined || parsed < 0) return sendStatus(reply, 400);
    count = Math.min(parsed, latest.size - offset);
  }
  // An offset past the end leaves a negative count: allocating the buffer throws, 500.
  if (count < 0) return sendStatus(reply, 500);
  // The input stream opens the replica the vote picks (root_resource_name / replica_number
  // as given); any failure to open it, a bad resource or number included, is a 400.
  const resource = args.text('resource');
  let requested: number | undefined;
  if (resource === undefined && args.has('replica-number')) {
    requested = parseLeadingInteger(args.text('replica-number'));
    if (requested === undefined) return sendStatus(reply, 400);
  }
  let replica: Replica;
  try {
    const keyword = resource !== undefined ? rootResourceNamed(zone.catalog, resource) : undefined;
    replica = chooseReplica(zone.catalog, object, 'open', { keyword, requested });
  } catch (err) {
    if (err instanceof IrodsFailure) return sendStatus(reply, 400);
    throw err;
  }
  // Opening the replica for read needs read_object, rodsadmins included: a refused open is 400.
  if (!hasAccess(user, object, ACCESS.read_object)) return sendStatus(reply, 400);
  // The bytes come from the replica opened. A streamed read ends where that replica ends; a
  // single-buffer read of fewer bytes than `count` (a shorter, stale replica) fails: 500.
  if (count > READ_BUFFER_BYTES) {
    const available = Math.max(0, Math.min(count, replica.size - offset));
    return reply.code(200).header('server', SERVER_HEADER).header('content-type', 'application/octet-stream').send(zone.vault.readStream(replica.physicalPath, offset, available));
  }
  if (replica.size - offset < count) return sendStatus(reply, 500);
  // Small reads go out in one body still labelled application/json, exactly as upstream does.
  const bytes = await zone.vault.readRange(replica.physicalPath, offset, count);
  return reply.code(200).header('server', SERVER_HEADER).header('content-type', 'application/json').send(bytes);
}

export const dataObjectsGet: OperationTable = {
  read: authenticated(({ zone, reply, args }, user) => read(zone, user, reply, args)),

  stat: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    // rcObjStat gets the lpath through the objPath buffer (an over-long one is cut, and not found).
    const object = visibleDataObject(zone.catalog, user, asObjPath(lpath));
    if (!object) return sendIrods(reply, irodsResponse(IRODS_ERRORS.NOT_A_DATA_OBJECT));
    // size, checksum and modified_at are the latest good replica's (fs::client::data_object_size & co).
    const latest = latestGoodReplica(object);
    if (!latest) return sendIrods(reply, irodsResponse(IRODS_ERRORS.SYS_NO_GOOD_REPLICA, `no good replica found: ${object.path}`));
    // Permissions come from R_OBJT_ACCESS without expanding groups (0.7.0, #476).
    const permissions = [...object.acl].flatMap(([id, level]) => {
      const p = zone.catalog.principals.byIdOrUndefined(id);
      return p ? [{ name: p.name, zone: p.zone, type: p.type, perm: accessName(level) }] : [];
    });
    // No `registered` field: it was dropped from data object stat in 0.4.0 (#180).
    return sendOk(reply, {
      type: 'data_object',
      permissions,
      size: latest.size,
      checksum: latest.checksum,
      modified_at: latest.modifyTime,
    });
  }),

  verify_checksum: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    let results: Awaited<ReturnType<typeof verifyChecksum>> = [];
    const ok = await codeOnly(reply, async () => {
      results = await verifyChecksum(zone, user, lpath, {
        admin: args.flag('admin'),
        replicaNumber: args.text('replica-number'),
        resource: args.text('resource'),
        compute: args.text('compute-checksums') !== '0',
      });
    });
    if (!ok) return;
    if (results.length > 0) {
      return sendIrods(reply, irodsResponse(IRODS_ERRORS.CHECK_VERIFICATION_RESULTS), { results, r_error_info: [] });
    }
    return sendOk(reply, { r_error_info: [] });
  }),
};

export const dataObjectsPost: OperationTable = {
  write: writeForm,
  parallel_write_init: parallelWriteInit,
  parallel_write_shutdown: parallelWriteShutdown,

  touch: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const integer = (name: string): number | undefined | null => {
      if (!args.has(name)) return undefined;
      return parseLeadingInteger(args.text(name)) ?? null;
    };
    const replicaNumber = integer('replica-number');
    const seconds = integer('seconds-since-epoch');
    if (replicaNumber === null || seconds === null) return sendStatus(reply, 400);
    const status = statusOf(zone.catalog, user, lpath);
    if (status.type === 'collection') return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    await touchDataObject(zone, user, lpath, {
      noCreate: args.flag('no-create'),
      replicaNumber,
      leafResource: args.text('leaf-resource'),
      secondsSinceEpoch: seconds,
      reference: args.text('reference'),
    });
    return sendOk(reply);
  }),

  truncate: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined || !args.has('size')) return sendStatus(reply, 400);
    const size = parseLeadingInteger(args.text('size'));
    if (size === undefined) return sendStatus(reply, 400);
    try {
      const { replica } = await truncate(zone, user, lpath, size, {
        resource: args.text('resource'),
        replicaNumber: args.text('replica-number'),
        admin: args.flag('admin'),
      });
      return sendIrods(reply, {
        ...irodsResponse(0),
        additional_info: { message: '', resource_hierarchy: zone.catalog.resources.hierarchyOf(replica.resource), replica_number: replica.number },
      });
    } catch (err) {
      // rc_replica_truncate's JSON output travels even with an error: the message, no replica.
      if (err instanceof IrodsFailure) {
        return sendIrods(reply, { ...irodsResponse(err.code), additional_info: { message: err.message, resource_hierarchy: null, replica_number: null } });
      }
      throw err;
    }
  }),

  remove: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const catalogOnly = args.text('catalog-only');
    if (catalogOnly === undefined) return sendStatus(reply, 400);
    if (catalogOnly === '1' && args.flag('no-trash')) return sendStatus(reply, 400);
    const ok = await codeOnly(reply, () =>
      removeDataObject(zone, user, lpath, { catalogOnly: catalogOnly === '1', noTrash: args.flag('no-trash'), admin: args.flag('admin') }),
    );
    return ok ? sendOk(reply) : undefined;
  }),

  rename: authenticated(({ zone, reply, args }, user) => {
    const oldLpath = args.text('old-lpath');
    if (oldLpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(oldLpath);
    const object = visibleDataObject(zone.catalog, user, oldLpath);
    if (!object) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    const newLpath = args.text('new-lpath');
    if (newLpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(newLpath);
    renameDataObject(zone, user, object, newLpath);
    return sendOk(reply);
  }),

  copy: authenticated(async ({ zone, reply, args }, user) => {
    const src = args.text('src-lpath');
    const dst = args.text('dst-lpath');
    if (src === undefined || dst === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(src);
    throwIfPathTooLong(dst);
    const source = visibleDataObject(zone.catalog, user, src);
    if (!source) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    const ok = await codeOnly(reply, () =>
      copyDataObject(zone, user, source, dst, {
        overwrite: args.flag('overwrite'),
        sourceResource: args.text('src-resource'),
        destinationResource: args.text('dst-resource'),
      }),
    );
    return ok ? sendOk(reply) : undefined;
  }),

  replicate: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const destination = args.text('dst-resource');
    if (destination === undefined) return sendStatus(reply, 400);
    // rcDataObjRepl's return value is the whole answer: {"status_code": ec}, no message.
    const ok = await codeOnly(reply, () =>
      replicate(zone, user, asObjPath(lpath), {
        destinationResource: destination,
        sourceResource: args.text('src-resource'),
        sourceReplicaNumber: args.text('src-replica-number'),
        admin: args.flag('admin'),
      }),
    );
    return ok ? sendOk(reply) : undefined;
  }),

  trim: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    const replicaNumber = args.text('replica-number');
    if (lpath === undefined || replicaNumber === undefined) return sendStatus(reply, 400);
    // rcDataObjTrim's return value (negative, or 0 for any success) is the whole answer.
    const ok = await codeOnly(reply, () => trim(zone, user, lpath, { replicaNumber, catalogOnly: args.text('catalog-only') === '1', admin: args.flag('admin') }));
    return ok ? sendOk(reply) : undefined;
  }),

  modify_replica: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const hierarchy = args.text('resource-hierarchy');
    const numberText = args.text('replica-number');
    if (hierarchy === undefined && numberText === undefined) return sendStatus(reply, 400);
    // std::stoi outside the inner checks: a non-number escapes to the generic handler (500).
    const number = hierarchy === undefined ? parseLeadingInteger(numberText) : undefined;
    if (hierarchy === undefined && number === undefined) return sendStatus(reply, 500);
    const changes: ReplicaChanges = {};
    for (const name of REPLICA_PROPERTIES) {
      const value = args.text(name);
      if (value === undefined) continue;
      // Built against iRODS 5, talking to 4.3: the access time cannot be set (400).
      if (name === 'new-data-access-time' && zone.settings.irodsVersion.startsWith('4.')) return sendStatus(reply, 400);
      changes[name] = value;
    }
    if (Object.keys(changes).length === 0) return sendStatus(reply, 400);
    return codeOnly(reply, () => {
      if (!isAdmin(user)) throw new IrodsFailure('CAT_INSUFFICIENT_PRIVILEGE_LEVEL');
      modifyReplica(zone, user, lpath, hierarchy !== undefined ? { hierarchy } : { number }, changes);
    }).then((ok) => (ok ? sendOk(reply) : undefined));
  }),

  register: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    const ppath = args.text('ppath');
    const resource = args.text('resource');
    if (lpath === undefined || ppath === undefined || resource === undefined) return sendStatus(reply, 400);
    const ok = await codeOnly(reply, () =>
      registerDataObject(zone, user, lpath, ppath, {
        resource,
        asAdditionalReplica: args.flag('as-additional-replica'),
        dataSize: args.text('data-size'),
        computeChecksum: args.flag('checksum'),
      }),
    );
    return ok ? sendOk(reply) : undefined;
  }),

  set_permission: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const object = visibleDataObject(zone.catalog, user, lpath);
    if (!object) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    const entity = args.text('entity-name');
    const permission = args.text('permission');
    if (entity === undefined || permission === undefined) return sendStatus(reply, 400);
    const level = parsePermissionName(permission);
    if (level === undefined) return sendStatus(reply, 400);
    setPermission(zone, user, object, entity, level, args.flag('admin'));
    return sendOk(reply);
  }),

  modify_permissions: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined || !args.has('operations')) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const object = visibleDataObject(zone.catalog, user, lpath);
    if (!object) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    return modifyPermissions(zone, user, reply, object, args);
  }),

  modify_metadata: authenticated(({ zone, reply, args }, user) => modifyMetadata(zone, user, reply, args, 'data_object', 'lpath')),

  calculate_checksum: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    let checksum = '';
    const ok = await codeOnly(reply, async () => {
      checksum = await calculateChecksum(zone, user, lpath, {
        force: args.flag('force'),
        admin: args.flag('admin'),
        all: args.flag('all'),
        replicaNumber: args.text('replica-number'),
        resource: args.text('resource'),
      });
    });
    return ok ? sendOk(reply, { checksum }) : undefined;
  }),
};
