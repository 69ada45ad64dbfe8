import { REPLICA_STATUS } from '../catalog.js';
import { fail } from '../errors.js';
import { isAdmin } from '../permissions.js';
import type { Principal } from '../principals.js';
import { replicationSiblings } from '../replica-placement.js';
import type { Resource, ResourceProperty, ResourceSpec } from '../resources.js';
import type { Zone } from '../zone.js';
import { updateReplicaOn } from './replica-writes.js';

/**
 * Resource administration as the HTTP API reaches it (irods/irods lib/administration/resource,
 * rcGeneralAdmin): rodsadmins only, the server API refusing anyone else with SYS_NO_API_PRIV.
 */

function requireAdmin(user: Principal): void {
  if (!isAdmin(user)) fail('SYS_NO_API_PRIV', 'generalAdmin requires a rodsadmin');
}

export function createResource(zone: Zone, user: Principal, spec: ResourceSpec): void {
  requireAdmin(user);
  zone.catalog.resources.add(spec);
  zone.catalog.touch();
}

export function removeResource(zone: Zone, user: Principal, name: string): void {
  requireAdmin(user);
  zone.catalog.resources.remove(name, (resource) => zone.catalog.holdsReplicas(resource));
  zone.catalog.touch();
}

export function modifyResource(zone: Zone, user: Principal, name: string, property: ResourceProperty, value: string): void {
  requireAdmin(user);
  zone.catalog.resources.modify(name, property, value);
  zone.catalog.touch();
}

export function addChildResource(zone: Zone, user: Principal, parent: string, child: string, context: string): void {
  requireAdmin(user);
  zone.catalog.resources.addChild(parent, child, context);
  zone.catalog.touch();
}

export function removeChildResource(zone: Zone, user: Principal, parent: string, child: string): void {
  requireAdmin(user);
  zone.catalog.resources.removeChild(parent, child);
  zone.catalog.touch();
}

/**
 * iadmin modresc <name> rebalance: a replication resource brings every child up to date for the
 * objects it holds (stale or missing replicas get a good one's bytes); other types have nothing
 * to rebalance. The stand-in does it before answering; iRODS runs it in the server's own time.
 */
export async function rebalanceResource(zone: Zone, user: Principal, name: string): Promise<void> {
  requireAdmin(user);
  const { catalog } = zone;
  const root: Resource = catalog.resources.get(name) ?? fail('SYS_RESC_DOES_NOT_EXIST', `failed to resolve resource [${name}]`);
  if (root.type !== 'replication') return;
  for (const collection of catalog.collections()) {
    for (const object of collection.dataObjects.values()) {
      const source = object.replicas.find((r) => r.status === REPLICA_STATUS.good && isBelow(r.resource, root));
      if (!source) continue;
      for (const leaf of [source.resource, ...replicationSiblings(catalog, source.resource)]) {
        const present = object.replicas.find((r) => r.resource === leaf);
        if (present?.status === REPLICA_STATUS.good) continue;
        await updateReplicaOn(zone, object, source, leaf);
      }
    }
  }
}

function isBelow(resource: Resource, ancestor: Resource): boolean {
  for (let r: Resource | undefined = resource; r; r = r.parent) if (r === ancestor) return true;
  return false;
}
