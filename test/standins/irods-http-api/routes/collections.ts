import { IRODS_ERRORS, IrodsFailure } from '../errors.js';
import { parseLeadingInteger } from '../http/args.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { irodsResponse, sendFailure, sendIrods, sendJson, sendOk, sendStatus } from '../http/reply.js';
import { setPermission } from '../operations/acls.js';
import {
  createCollection,
  createCollections,
  listCollection,
  removeCollection,
  renameCollection,
  setInheritance,
  touchCollection,
} from '../operations/collections.js';
import { statusOf, visibleCollection } from '../operations/object-status.js';
import { throwIfPathTooLong } from '../limits.js';
import { accessName, parsePermissionName } from '../permissions.js';
import { modifyMetadata, modifyPermissions } from './shared.js';

/** 400 with `{"irods_response":{"status_code":-170000}}`, as several handlers answer a non-collection. */
const NOT_A_COLLECTION_BODY = JSON.stringify({ irods_response: { status_code: IRODS_ERRORS.NOT_A_COLLECTION } });

/** /collections (irods_client_http_api endpoints/collections/src/main.cpp). */
export const collectionsGet: OperationTable = {
  stat: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendIrods(reply, irodsResponse(IRODS_ERRORS.NOT_A_COLLECTION));
    const permissions = [...collection.acl].flatMap(([id, level]) => {
      const p = zone.catalog.principals.byIdOrUndefined(id);
      return p ? [{ name: p.name, zone: p.zone, type: p.type, perm: accessName(level) }] : [];
    });
    return sendOk(reply, {
      type: 'collection',
      inheritance_enabled: collection.inheritance,
      permissions,
      registered: true,
      modified_at: collection.modifyTime,
    });
  }),

  list: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    return sendOk(reply, { entries: listCollection(user, collection, args.flag('recurse')) });
  }),
};

export const collectionsPost: OperationTable = {
  create: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const created = args.flag('create-intermediates') ? createCollections(zone, user, lpath) : createCollection(zone, user, lpath);
    return sendJson(reply, { irods_response: { status_code: 0 }, created });
  }),

  remove: authenticated(async ({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    // The library's boolean result is ignored upstream: a refused removal is still status 0.
    await removeCollection(zone, user, collection, { recurse: args.flag('recurse'), noTrash: args.flag('no-trash') });
    return sendOk(reply);
  }),

  rename: authenticated(({ zone, reply, args }, user) => {
    const oldLpath = args.text('old-lpath');
    if (oldLpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(oldLpath);
    const collection = visibleCollection(zone.catalog, user, oldLpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    const newLpath = args.text('new-lpath');
    if (newLpath === undefined) return sendStatus(reply, 400);
    try {
      throwIfPathTooLong(newLpath);
      renameCollection(zone, user, collection, newLpath);
    } catch (err) {
      // Upstream answers a failed collection rename with 400 (and the JSON), unlike data objects.
      if (err instanceof IrodsFailure) return sendFailure(reply, err, { status: 400 });
      throw err;
    }
    return sendOk(reply);
  }),

  set_permission: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    const entity = args.text('entity-name');
    if (entity === undefined) return sendStatus(reply, 400);
    const permission = args.text('permission');
    if (permission === undefined) return sendStatus(reply, 400);
    const level = parsePermissionName(permission);
    if (level === undefined) return sendStatus(reply, 400);
    setPermission(zone, user, collection, entity, level, args.flag('admin'));
    return sendOk(reply);
  }),

  set_inheritance: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const enable = args.text('enable');
    if (enable === undefined) return sendStatus(reply, 400);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    setInheritance(zone, user, collection, enable === '1', args.flag('admin'));
    return sendOk(reply);
  }),

  modify_permissions: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined || !args.has('operations')) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    const collection = visibleCollection(zone.catalog, user, lpath);
    if (!collection) return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    return modifyPermissions(zone, user, reply, collection, args);
  }),

  modify_metadata: authenticated(({ zone, reply, args }, user) => modifyMetadata(zone, user, reply, args, 'collection', 'lpath')),

  touch: authenticated(({ zone, reply, args }, user) => {
    const lpath = args.text('lpath');
    if (lpath === undefined) return sendStatus(reply, 400);
    throwIfPathTooLong(lpath);
    let seconds: number | undefined;
    if (args.has('seconds-since-epoch')) {
      seconds = parseLeadingInteger(args.text('seconds-since-epoch'));
      if (seconds === undefined) return sendStatus(reply, 400);
    }
    const status = statusOf(zone.catalog, user, lpath);
    if (status.type === 'data_object') return sendStatus(reply, 400, NOT_A_COLLECTION_BODY);
    // rc_touch with no_create: a path that does not exist is left alone and reported as success.
    if (status.type === 'not_found') return sendOk(reply);
    touchCollection(zone, user, status.collection, seconds, args.text('reference'));
    return sendOk(reply);
  }),
};
