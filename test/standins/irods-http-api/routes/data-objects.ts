import type { FastifyReply } from 'fastify';
import { REPLICA_STATUS } from '../catalog.js';
import { IRODS_ERRORS, IrodsFailure } from '../errors.js';
import { parseLeadingInteger, type RequestArgs } from '../http/args.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { SERVER_HEADER, irodsResponse, sendFailure, sendIrods, sendOk, sendStatus } from '../http/reply.js';
import { setPermission } from '../operations/acls.js';
import {
  calculateChecksum,
  copyDataObject,
  lookupForAccess,
  registerDataObject,
  removeDataObject,
  renameDataObject,
  touchDataObject,
  truncateDataObject,
  verifyChecksum,
} from '../operations/data-objects.js';
import { statusOf, visibleDataObject } from '../operations/object-status.js';
import { ACCESS, accessName, hasAccess, parsePermissionName } from '../permissions.js';
import type { Principal } from '../principals.js';
import type { Zone } from '../zone.js';
import { parallelWriteInit, parallelWriteShutdown, writeForm } from './data-object-writes.js';
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
  const object = visibleDataObject(zone.catalog, user, lpath);
  // "does not point to a data object or does not exist": 404 with an empty body.
  if (!object) return sendStatus(reply, 404);
  let offset = 0;
  if (args.has('offset')) {
    const parsed = parseLeadingInteger(args.text('offset'));
    if (parsed === undefined || parsed < 0) return sendStatus(reply, 400);
    offset = parsed;
  }
  // data_object_size() considers good replicas only; without one it throws and the read is a 500.
  if (object.replicaStatus !== REPLICA_STATUS.good) return sendStatus(reply, 500);
  let count = object.size - offset;
  if (args.has('count')) {
    const parsed = parseLeadingInteger(args.text('count'));
    if (parsed === undefined || parsed < 0) return sendStatus(reply, 400);
    count = Math.min(parsed, object.size - offset);
  }
  // An offset past the end leaves a negative count: allocating the buffer throws, 500.
  if (count < 0) return sendStatus(reply, 500);
  const resource = args.text('resource');
  if (resource !== undefined && resource !== zone.catalog.resource) return sendStatus(reply, 400);
  if (resource === undefined && args.has('replica-number')) {
    const replica = parseLeadingInteger(args.text('replica-number'));
    if (replica === undefined || replica !== object.replicaNumber) return sendStatus(reply, 400);
  }
  // Opening the replica for read needs read_object, rodsadmins included: a refused open is 400.
  if (!hasAccess(user, object, ACCESS.read_object)) return sendStatus(reply, 400);
  if (count > READ_BUFFER_BYTES) {
    return reply.code(200).header('server', SERVER_HEADER).header('content-type', 'application/octet-stream').send(zone.vault.readStream(object.physicalPath, offset, count));
  }
  // Small reads go out in one body still labelled application/json, exactly as upstream does.
  const bytes = await zone.vault.readRange(object.physicalPath, offset, count);
  return reply.code(200).header('server', SERVER_HEADER).header('content-type', 'application/json').send(bytes);
}

export const dataObjectsGet: OperationTable = {
  read: authenticated(({ zone, reply, args }, user) => read(zone, user, reply, args)),

  stat: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const object = visibleDataObject(zone.catalog, user, lpath);
    if (!object) return sendIrods(reply, irodsResponse(IRODS_ERRORS.NOT_A_DATA_OBJECT));
    if (object.replicaStatus !== REPLICA_STATUS.good) {
      return sendIrods(reply, irodsResponse(IRODS_ERRORS.SYS_NO_GOOD_REPLICA, `no good replica found: ${object.path}`));
    }
    // Permissions come from R_OBJT_ACCESS without expanding groups (0.7.0, #476).
    const permissions = [...object.acl].flatMap(([id, level]) => {
      const p = zone.catalog.principals.byIdOrUndefined(id);
      return p ? [{ name: p.name, zone: p.zone, type: p.type, perm: accessName(level) }] : [];
    });
    // No `registered` field: it was dropped from data object stat in 0.4.0 (#180).
    return sendOk(reply, {
      type: 'data_object',
      permissions,
      size: object.size,
      checksum: object.checksum,
      modified_at: object.modifyTime,
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
    const object = await truncateDataObject(zone, user, lpath, size, args.flag('admin'));
    return sendIrods(reply, {
      ...irodsResponse(0),
      additional_info: { resource_hierarchy: object.resource, replica_number: object.replicaNumber, message: '' },
    });
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
    const object = visibleDataObject(zone.catalog, user, oldLpath);
    if (!object) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    const newLpath = args.text('new-lpath');
    if (newLpath === undefined) return sendStatus(reply, 400);
    renameDataObject(zone, user, object, newLpath);
    return sendOk(reply);
  }),

  copy: authenticated(async ({ zone, reply, args }, user) => {
    const src = args.text('src-lpath');
    const dst = args.text('dst-lpath');
    if (src === undefined || dst === undefined) return sendStatus(reply, 400);
    const source = visibleDataObject(zone.catalog, user, src);
    if (!source) return sendStatus(reply, 400, NOT_A_DATA_OBJECT_BODY);
    const ok = await codeOnly(reply, async () => {
      for (const name of ['src-resource', 'dst-resource']) {
        const resource = args.text(name);
        if (resource !== undefined && resource !== zone.catalog.resource) throw new IrodsFailure('SYS_RESC_DOES_NOT_EXIST');
      }
      await copyDataObject(zone, user, source, dst, args.flag('overwrite'));
    });
    return ok ? sendOk(reply) : undefined;
  }),

  replicate: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    const destination = args.text('dst-resource');
    if (destination === undefined) return sendStatus(reply, 400);
    // One resource only: the good replica already lives on it, so there is nothing to do.
    const ok = await codeOnly(reply, () => {
      lookupForAccess(zone, user, lpath, ACCESS.read_object);
      if (destination !== zone.catalog.resource) throw new IrodsFailure('SYS_RESC_DOES_NOT_EXIST');
    });
    return ok ? sendOk(reply) : undefined;
  }),

  trim: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined || !args.has('replica-number')) return sendStatus(reply, 400);
    // COPIES_KW=1 keeps at least one replica: trimming the only one leaves it in place.
    const ok = await codeOnly(reply, () => lookupForAccess(zone, user, lpath, ACCESS.delete_object));
    return ok ? sendOk(reply) : undefined;
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
