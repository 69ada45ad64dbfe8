import { IrodsFailure } from '../errors.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { sendFailure, sendOk, sendStatus } from '../http/reply.js';
import { addChildResource, createResource, modifyResource, rebalanceResource, removeChildResource, removeResource } from '../operations/resources.js';
import type { Resource, ResourceProperty } from '../resources.js';
import { modifyMetadata } from './shared.js';

/** /resources (irods_client_http_api endpoints/resources/src/main.cpp, 0.7.0). */

const PROPERTIES: readonly ResourceProperty[] = ['name', 'type', 'host', 'vault_path', 'status', 'comments', 'information', 'free_space', 'context'];

/**
 * op_stat's `info` (the resource administration library's resource_info plus RESC_STATUS and
 * RESC_PARENT_CONTEXT read by GenQuery, 0.7.0 #473): ids as strings, times as seconds.
 */
function statInfo(zone: string, resource: Resource): Record<string, unknown> {
  return {
    id: String(resource.id),
    name: resource.name,
    type: resource.type,
    zone,
    host: resource.host,
    vault_path: resource.vaultPath,
    status: resource.status,
    context: resource.context,
    comments: resource.comments,
    information: resource.information,
    free_space: resource.freeSpace,
    free_space_last_modified: resource.freeSpaceTime,
    parent_id: resource.parent ? String(resource.parent.id) : '',
    created: resource.createTime,
    last_modified: resource.modifyTime,
    last_modified_millis: resource.modifyTimeMillis,
    parent_context: resource.parentContext,
  };
}

export const resourcesGet: OperationTable = {
  stat: authenticated(({ zone, reply, args }) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    const resource = zone.catalog.resources.get(name);
    return sendOk(reply, { exists: resource !== undefined, info: resource ? statInfo(zone.catalog.zone, resource) : {} });
  }),
};

export const resourcesPost: OperationTable = {
  create: authenticated(({ zone, reply, args }, user) => {
    const name = args.text('name');
    const type = args.text('type');
    if (name === undefined || type === undefined) return sendStatus(reply, 400);
    createResource(zone, user, { name, type, host: args.text('host'), vaultPath: args.text('vault-path'), context: args.text('context') });
    return sendOk(reply);
  }),

  remove: authenticated(({ zone, reply, args }, user) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    removeResource(zone, user, name);
    return sendOk(reply);
  }),

  // Unlike the other operations, a refused modify is HTTP 400 (with the JSON); an unknown
  // property changes nothing and succeeds; status takes up or down only (400 otherwise).
  modify: authenticated(({ zone, reply, args }, user) => {
    const name = args.text('name');
    const property = args.text('property');
    const value = args.text('value');
    if (name === undefined || property === undefined || value === undefined) return sendStatus(reply, 400);
    if (property === 'status' && value !== 'up' && value !== 'down') return sendStatus(reply, 400);
    const known = PROPERTIES.find((p) => p === property);
    if (known === undefined) return sendOk(reply);
    try {
      modifyResource(zone, user, name, known, value);
    } catch (err) {
      if (err instanceof IrodsFailure) return sendFailure(reply, err, { status: 400 });
      throw err;
    }
    return sendOk(reply);
  }),

  add_child: authenticated(({ zone, reply, args }, user) => {
    const parent = args.text('parent-name');
    const child = args.text('child-name');
    if (parent === undefined || child === undefined) return sendStatus(reply, 400);
    addChildResource(zone, user, parent, child, args.text('context') ?? '');
    return sendOk(reply);
  }),

  remove_child: authenticated(({ zone, reply, args }, user) => {
    const parent = args.text('parent-name');
    const child = args.text('child-name');
    if (parent === undefined || child === undefined) return sendStatus(reply, 400);
    removeChildResource(zone, user, parent, child);
    return sendOk(reply);
  }),

  rebalance: authenticated(async ({ zone, reply, args }, user) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    await rebalanceResource(zone, user, name);
    return sendOk(reply);
  }),

  modify_metadata: authenticated(({ zone, reply, args }, user) => modifyMetadata(zone, user, reply, args, 'resource', 'name')),
};
