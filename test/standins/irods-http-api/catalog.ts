import { AvuSet, type Avu } from './avus.js';
import { ACCESS } from './permissions.js';
import { isBelow, joinLpath } from './paths.js';
import { Principals, type Principal } from './principals.js';

/** Replica status as R_DATA_MAIN.data_is_dirty holds it. */
export const REPLICA_STATUS = { stale: 0, good: 1, intermediate: 2 } as const;
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

/** A data object with its single replica (number 0 on the zone's one resource). */
export interface DataObject {
  readonly kind: 'data_object';
  readonly id: number;
  path: string;
  collection: Collection;
  name: string;
  size: number;
  /** '' when none was computed or the content changed since (iRODS clears it on modification). */
  checksum: string;
  readonly createTime: number;
  modifyTime: number;
  replicaStatus: ReplicaStatus;
  readonly replicaNumber: number;
  readonly resource: string;
  /** Where the bytes live: a file in the vault, or the registered file for `register`. */
  physicalPath: string;
  /** False for registered replicas: removing them unregisters, it never deletes the file. */
  inVault: boolean;
  ownerName: string;
  ownerZone: string;
  readonly dataType: string;
  readonly acl: Map<number, number>;
  readonly avus: AvuSet;
}

export type CatalogObject = Collection | DataObject;

export interface CatalogOptions {
  readonly zone: string;
  readonly resource: string;
  /** Maps a new data object's id to its vault file. */
  readonly vaultPathFor: (dataId: number) => string;
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
  readonly resource: string;
  readonly principals: Principals;
  /** Incremented on every change: the query cache keys on it. */
  generation = 0;
  readonly zoneId: number;
  readonly resourceId: number;

  private nextObjectId = 10000;
  private readonly collectionsByPath = new Map<string, Collection>();
  private readonly objectsById = new Map<number, CatalogObject>();
  private readonly avuIndex = new Map<string, Set<CatalogObject>>();
  /** R_META_MAIN ids: one per distinct (attribute, value, units) triple. */
  private readonly avuIds = new Map<string, number>();
  private readonly vaultPathFor: (dataId: number) => string;
  private readonly clock: () => number;

  constructor(options: CatalogOptions) {
    this.zone = options.zone;
    this.resource = options.resource;
    this.vaultPathFor = options.vaultPathFor;
    this.clock = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.principals = new Principals(options.zone);
    this.zoneId = this.nextId();
    this.resourceId = this.nextId();
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
   * Registers a data object (a new, intermediate replica until its writer closes it). With
   * inheritance on the collection the object gets exactly the collection's ACL rows and the
   * creator gets nothing more (db_reg_data_obj_op); otherwise the creator gets own.
   */
  createDataObject(
    collection: Collection,
    name: string,
    creator: Principal,
    physical?: { path: string; inVault: boolean },
  ): DataObject {
    const now = this.now();
    const id = this.nextId();
    const object: DataObject = {
      kind: 'data_object',
      id,
      path: joinLpath(collection.path, name),
      collection,
      name,
      size: 0,
      checksum: '',
      createTime: now,
      modifyTime: now,
      replicaStatus: REPLICA_STATUS.intermediate,
      replicaNumber: 0,
      resource: this.resource,
      physicalPath: physical?.path ?? this.vaultPathFor(id),
      inVault: physical?.inVault ?? true,
      ownerName: creator.name,
      ownerZone: creator.zone,
      dataType: 'generic',
      acl: new Map(),
      avus: new AvuSet(),
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

  // ---- removal and moves ----------------------------------------------------------------------

  removeDataObject(object: DataObject): void {
    object.collection.dataObjects.delete(object.name);
    this.objectsById.delete(object.id);
    this.unindexAvus(object);
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

  private unindexAvus(target: CatalogObject): void {
    for (const avu of target.avus.values()) this.avuIndex.get(avu.attribute)?.delete(target);
  }
}
