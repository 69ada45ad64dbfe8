import { AvuSet, type Avu } from './avus.js';
import { ACCESS } from './permissions.js';
import { isBelow, joinLpath } from './paths.js';
import { Principals, type Principal } from './principals.js';
import { Resources, type Resource } from './resources.js';

/**
 * Replica status as R_DATA_MAIN.data_is_dirty holds it. While one replica is open for writing,
 * the object's other replicas are write-locked (logical locking, iRODS 4.2.9+) and get their
 * status back when it closes (irods/irods lib/core/include/irods/objInfo.h, logical_locking.cpp).
 */
export const REPLICA_STATUS = { stale: 0, good: 1, intermediate: 2, readLocked: 3, writeLocked: 4 } as const;
export type ReplicaStatus = (typeof REPLICA_STATUS)[keyof typeof REPLICA_STATUS];

export interface Collection {
  readonly kind: 'collection';
  readonly id: number;
  path: string;
  parent: Collection | undefined;
  name: string;
  ownerName: string;
  ownerZone: string;
  readonly createTime: number;
  modifyTime: number;
  inheritance: boolean;
  readonly acl: Map<number, number>;
  readonly avus: AvuSet;
  readonly collections: Map<string, Collection>;
  readonly dataObjects: Map<string, DataObject>;
}

/** One replica of a data object: a row of R_DATA_MAIN, on one storage (leaf) resource. */
export interface Replica {
  readonly number: number;
  readonly resource: Resource;
  status: ReplicaStatus;
  /** The status to restore when the replica being written closes (set while write-locked). */
  lockedFrom: ReplicaStatus | undefined;
  size: number;
  /** '' when none was computed or the content changed since (iRODS clears it on modification). */
  checksum: string;
  /** DATA_PATH: a file under the resource's vault mirroring the logical path, or a registered file. */
  physicalPath: string;
  /** False for registered files outside any vault: removing them unregisters, never deletes. */
  inVault: boolean;
  readonly createTime: number;
  modifyTime: number;
  accessTime: number;
  comments: string;
  dataStatus: string;
  version: string;
  expiry: string;
  mode: string;
  dataType: string;
}

/** A data object: the logical entity (name, ACLs, AVUs) and its replicas, ordered by number. */
export interface DataObject {
  readonly kind: 'data_object';
  readonly id: number;
  path: string;
  collection: Collection;
  name: string;
  readonly createTime: number;
  ownerName: string;
  ownerZone: string;
  readonly acl: Map<number, number>;
  readonly avus: AvuSet;
  readonly replicas: Replica[];
}

export type CatalogObject = Collection | DataObject;

export interface CatalogOptions {
  readonly zone: string;
  readonly now?: () => number;
}

/**
 * The in-memory catalog: collections, data objects, users/groups, ACLs and AVUs, with the
 * indexes the hot paths need (path → collection, collection → children, attribute → objects)
 * so no request scans the whole zone. It holds no policy: permission checks and error codes
 * live in operations/, as iRODS keeps them in its server APIs and database plugin.
 */
export class Catalog {
  readonly zone: string;
  readonly principals: Principals;
  readonly resources: Resources;
  /** Incremented on every change: the query cache keys on it. */
  generation = 0;
  readonly zoneId: number;

  private nextObjectId = 10000;
  private readonly collectionsByPath = new Map<string, Collection>();
  private readonly objectsById = new Map<number, CatalogObject>();
  private readonly avuIndex = new Map<string, Set<CatalogObject>>();
  /** R_META_MAIN ids: one per distinct (attribute, value, units) triple. */
  private readonly avuIds = new Map<string, number>();
  /** Replicas per resource: a resource holding any cannot be removed. */
  private readonly replicaCounts = new Map<Resource, number>();
  private readonly clock: () => number;

  constructor(options: CatalogOptions) {
    this.zone = options.zone;
    this.clock = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.principals = new Principals(options.zone);
    this.zoneId = this.nextId();
    this.resources = new Resources(options.zone, () => this.nextId(), () => this.now());
  }

  now(): number {
    return this.clock();
  }

  touch(): void {
    this.generation += 1;
  }

  nextId(): number {
    const id = this.nextObjectId;
    this.nextObjectId += 1;
    return id;
  }

  // ---- principals -------------------------------------------------------------------------

  createPrincipal(name: string, type: Principal['type'], password?: string): Principal {
    const now = this.now();
    const principal: Principal = {
      id: this.nextId(),
      name,
      zone: this.zone,
      type,
      password,
      groups: new Set(),
      members: new Set(),
      avus: new AvuSet(),
      createTime: now,
      modifyTime: now,
    };
    this.principals.add(principal);
    this.touch();
    return principal;
  }

  /** Drops a principal and every ACL row naming it, as iRODS does when a user is removed. */
  removePrincipal(principal: Principal): void {
    this.principals.delete(principal);
    for (const object of this.objectsById.values()) object.acl.delete(principal.id);
    this.touch();
  }

  // ---- lookups ----------------------------------------------------------------------------

  getCollection(lpath: string): Collection | undefined {
    return this.collectionsByPath.get(lpath);
  }

  getDataObject(lpath: string): DataObject | undefined {
    const slash = lpath.lastIndexOf('/');
    if (slash < 0) return undefined;
    const parent = this.collectionsByPath.get(slash === 0 ? '/' : lpath.slice(0, slash));
    return parent?.dataObjects.get(lpath.slice(slash + 1));
  }

  lookup(lpath: string): CatalogObject | undefined {
    return this.getDataObject(lpath) ?? this.getCollection(lpath);
  }

  byId(id: number): CatalogObject | undefined {
    return this.objectsById.get(id);
  }

  collections(): IterableIterator<Collection> {
    return this.collectionsByPath.values();
  }

  /** Collections whose path starts with `prefix` (used for `COLL_NAME like 'prefix%'`). */
  *collectionsWithPrefix(prefix: string): Generator<Collection> {
    // 'a/b/%' is exactly the subtree below a/b; any other prefix may also match siblings
    // ('/a/b%' matches /a/bc), so it scans the collections (there are far fewer than objects).
    const root = prefix.length > 1 && prefix.endsWith('/') ? this.collectionsByPath.get(prefix.slice(0, -1)) : undefined;
    if (root) {
      for (const c of this.subtree(root)) if (c !== root) yield c;
      return;
    }
    for (const c of this.collectionsByPath.values()) if (c.path.startsWith(prefix)) yield c;
  }

  /** A collection and all collections below it, parents before children. */
  *subtree(root: Collection): Generator<Collection> {
    yield root;
    for (const child of root.collections.values()) yield* this.subtree(child);
  }

  /** Objects carrying at least one AVU with this attribute. */
  objectsWithAttribute(attribute: string): ReadonlySet<CatalogObject> {
    return this.avuIndex.get(attribute) ?? new Set();
  }

  // ---- creation -----------------------------------------------------------------------------

  /**
   * Registers a collection. With inheritance on the parent, the new collection copies the
   * parent's ACL rows and is inheritance-enabled itself; otherwise the creator gets own
   * (irods/irods plugins/database/src/db_plugin.cpp db_reg_coll_op).
   */
  createCollection(parent: Collection | undefined, name: string, creator: Principal): Collection {
    const path = parent ? joinLpath(parent.path, name) : '/';
    const now = this.now();
    const collection: Collection = {
      kind: 'collection',
      id: this.nextId(),
      path,
      parent,
      name,
      ownerName: creator.name,
      ownerZone: creator.zone,
      createTime: now,
      modifyTime: now,
      inheritance: false,
      acl: new Map(),
      avus: new AvuSet(),
      collections: new Map(),
      dataObjects: new Map(),
    };
    if (parent?.inheritance) {
      for (const [principalId, level] of parent.acl) collection.acl.set(principalId, level);
      collection.inheritance = true;
    } else {
      collection.acl.set(creator.id, ACCESS.own);
    }
    parent?.collections.set(name, collection);
    this.collectionsByPath.set(path, collection);
    this.objectsById.set(collection.id, collection);
    this.touch();
    return collection;
  }

  /**
   * Registers a data object without replicas yet (addReplica gives it its first). With
   * inheritance on the collection the object gets exactly the collection's ACL rows and the
   * creator gets nothing more (db_reg_data_obj_op); otherwise the creator gets own.
   */
  createDataObject(collection: Collection, name: string, creator: Principal): DataObject {
    const id = this.nextId();
    const object: DataObject = {
      kind: 'data_object',
      id,
      path: joinLpath(collection.path, name),
      collection,
      name,
      createTime: this.now(),
      ownerName: creator.name,
      ownerZone: creator.zone,
      acl: new Map(),
      avus: new AvuSet(),
      replicas: [],
    };
    if (collection.inheritance) {
      for (const [principalId, level] of collection.acl) object.acl.set(principalId, level);
    } else {
      object.acl.set(creator.id, ACCESS.own);
    }
    collection.dataObjects.set(name, object);
    this.objectsById.set(id, object);
    this.touch();
    return object;
  }

  /**
   * A new replica on a storage resource, numbered one above the highest existing number (the
   * catalog's next data_repl_num), intermediate until its writer closes it.
   */
  addReplica(object: DataObject, resource: Resource, physical: { path: string; inVault: boolean }, status: ReplicaStatus = REPLICA_STATUS.intermediate): Replica {
    const now = this.now();
    const replica: Replica = {
      number: object.replicas.reduce((max, r) => Math.max(max, r.number + 1), 0),
      resource,
      status,
      lockedFrom: undefined,
      size: 0,
      checksum: '',
      physicalPath: physical.path,
      inVault: physical.inVault,
      createTime: now,
      modifyTime: now,
      accessTime: now,
      comments: '',
      dataStatus: '',
      version: '',
      expiry: '00000000000',
      mode: '0',
      dataType: 'generic',
    };
    object.replicas.push(replica);
    this.replicaCounts.set(resource, (this.replicaCounts.get(resource) ?? 0) + 1);
    this.touch();
    return replica;
  }

  /** Drops one replica row; the data object goes with its last one. */
  removeReplica(object: DataObject, replica: Replica): void {
    const index = object.replicas.indexOf(replica);
    if (index < 0) return;
    object.replicas.splice(index, 1);
    this.uncount(replica);
    if (object.replicas.length === 0) this.removeDataObject(object);
    this.touch();
  }

  holdsReplicas(resource: Resource): boolean {
    return (this.replicaCounts.get(resource) ?? 0) > 0;
  }

  // ---- removal and moves ----------------------------------------------------------------------

  removeDataObject(object: DataObject): void {
    object.collection.dataObjects.delete(object.name);
    this.objectsById.delete(object.id);
    this.unindexAvus(object);
    for (const replica of object.replicas) this.uncount(replica);
    this.touch();
  }

  /** Removes a collection and everything below it from the catalog (no physical effect). */
  removeCollectionTree(collection: Collection): DataObject[] {
    const removed: DataObject[] = [];
    for (const c of [...this.subtree(collection)].reverse()) {
      for (const object of c.dataObjects.values()) {
        removed.push(object);
        this.objectsById.delete(object.id);
        this.unindexAvus(object);
        for (const replica of object.replicas) this.uncount(replica);
      }
      c.dataObjects.clear();
      this.collectionsByPath.delete(c.path);
      this.objectsById.delete(c.id);
      this.unindexAvus(c);
    }
    collection.parent?.collections.delete(collection.name);
    this.touch();
    return removed;
  }

  moveDataObject(object: DataObject, target: Collection, name: string): void {
    object.collection.dataObjects.delete(object.name);
    object.collection = target;
    object.name = name;
    object.path = joinLpath(target.path, name);
    target.dataObjects.set(name, object);
    this.touch();
  }

  moveCollection(collection: Collection, target: Collection, name: string): void {
    const oldPath = collection.path;
    const newPath = joinLpath(target.path, name);
    const moved = [...this.subtree(collection)];
    collection.parent?.collections.delete(collection.name);
    collection.parent = target;
    collection.name = name;
    target.collections.set(name, collection);
    for (const c of moved) this.collectionsByPath.delete(c.path);
    for (const c of moved) {
      c.path = c === collection ? newPath : newPath + c.path.slice(oldPath.length);
      this.collectionsByPath.set(c.path, c);
      for (const object of c.dataObjects.values()) object.path = joinLpath(c.path, object.name);
    }
    this.touch();
  }

  isInside(lpath: string, collection: Collection): boolean {
    return isBelow(lpath, collection.path);
  }

  // ---- metadata -----------------------------------------------------------------------------

  addAvu(target: CatalogObject, avu: Avu): void {
    if (!target.avus.add(avu)) return;
    let holders = this.avuIndex.get(avu.attribute);
    if (!holders) {
      holders = new Set();
      this.avuIndex.set(avu.attribute, holders);
    }
    holders.add(target);
    this.touch();
  }

  removeAvu(target: CatalogObject, avu: Avu): void {
    if (!target.avus.remove(avu)) return;
    if (!target.avus.hasAttribute(avu.attribute)) this.avuIndex.get(avu.attribute)?.delete(target);
    this.touch();
  }

  avuId(avu: Avu): number {
    const key = `${avu.attribute}\u0000${avu.value}\u0000${avu.units}`;
    let id = this.avuIds.get(key);
    if (id === undefined) {
      id = this.nextId();
      this.avuIds.set(key, id);
    }
    return id;
  }

  private uncount(replica: Replica): void {
    this.replicaCounts.set(replica.resource, (this.replicaCounts.get(replica.resource) ?? 1) - 1);
  }

  private unindexAvus(target: CatalogObject): void {
    for (const avu of target.avus.values()) this.avuIndex.get(avu.attribute)?.delete(target);
  }
}
