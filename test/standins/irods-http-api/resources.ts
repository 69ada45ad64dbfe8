import { AvuSet } from './avus.js';
import { fail } from './errors.js';

/**
 * The zone's resources (R_RESC_MAIN) and their hierarchy. A storage resource (unixfilesystem)
 * holds bytes in its vault; a coordinating one (passthru, replication) only routes to its
 * children. What each type does with a write lives in replica-placement.ts; this module keeps the
 * registry and the tree, with the checks rsGeneralAdmin and the database plugin make
 * (irods/irods server/api/src/rsGeneralAdmin.cpp _addResource/_addChildToResource,
 * plugins/database/src/db_plugin.cpp db_reg_resc_op/db_del_resc_op/db_add_child_resc_op).
 */

/** The placeholders iRODS stores for a resource created without host and vault path. */
export const EMPTY_RESC_HOST = 'EMPTY_RESC_HOST';
export const EMPTY_RESC_PATH = 'EMPTY_RESC_PATH';

/** rodsDef.h: names shorter than NAME_LEN (64), vault paths and contexts shorter than MAX_PATH_ALLOWED. */
const NAME_LEN = 64;
const MAX_PATH_ALLOWED = 1024;

export interface Resource {
  readonly id: number;
  name: string;
  type: string;
  host: string;
  vaultPath: string;
  /** resc_status as the admin set it ('' until then; 'down' stops votes for it). */
  status: string;
  context: string;
  comments: string;
  information: string;
  freeSpace: string;
  freeSpaceTime: number;
  parent: Resource | undefined;
  parentContext: string;
  readonly children: Resource[];
  readonly createTime: number;
  modifyTime: number;
  modifyTimeMillis: number;
  readonly avus: AvuSet;
}

export interface ResourceSpec {
  readonly name: string;
  readonly type: string;
  readonly host?: string | undefined;
  readonly vaultPath?: string | undefined;
  readonly context?: string | undefined;
}

/** The properties `modify` may change (endpoints/resources op_modify). */
export type ResourceProperty = 'name' | 'type' | 'host' | 'vault_path' | 'status' | 'comments' | 'information' | 'free_space' | 'context';

export class Resources {
  private readonly byName = new Map<string, Resource>();

  constructor(
    readonly zone: string,
    private readonly nextId: () => number,
    private readonly now: () => number,
  ) {}

  get(name: string): Resource | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<Resource> {
    return this.byName.values();
  }

  /**
   * iadmin mkresc: the name must be shorter than NAME_LEN and hold no whitespace, the type must
   * be given; host and vault path are stored as given, or as EMPTY_RESC_HOST / EMPTY_RESC_PATH
   * when either is missing (resource_administration.cpp add_resource joins "host:path" only when
   * both are set). Unknown types are accepted, as upstream only logs a missing plugin.
   */
  add(spec: ResourceSpec): Resource {
    const name = spec.name.trim();
    if (spec.name.length >= NAME_LEN || spec.type.length >= NAME_LEN) fail('SYS_INVALID_INPUT_PARAM', `Could not add resource [${spec.name}]`);
    if (/\s/.test(spec.name)) fail('CAT_INVALID_RESOURCE_NAME', `Could not add resource [${spec.name}]`);
    if ((spec.context ?? '').length >= MAX_PATH_ALLOWED) fail('SYS_INVALID_INPUT_PARAM', `Could not add resource [${spec.name}]`);
    if (name === '') fail('CAT_INVALID_RESOURCE_NAME', 'resource name is empty');
    if (spec.type === '') fail('CAT_INVALID_RESOURCE_TYPE', 'resource type is empty');
    if (this.byName.has(name)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `Could not add resource [${name}]`);
    const located = spec.host !== undefined && spec.host !== '' && spec.vaultPath !== undefined && spec.vaultPath !== '';
    if (located && spec.vaultPath === '/') fail('CAT_INVALID_RESOURCE_VAULT_PATH', 'vault path cannot be the root directory');
    const now = this.now();
    const resource: Resource = {
      id: this.nextId(),
      name,
      type: spec.type,
      host: located ? (spec.host ?? '') : EMPTY_RESC_HOST,
      vaultPath: located ? (spec.vaultPath ?? '') : EMPTY_RESC_PATH,
      status: '',
      context: spec.context ?? '',
      comments: '',
      information: '',
      freeSpace: '',
      freeSpaceTime: 0,
      parent: undefined,
      parentContext: '',
      children: [],
      createTime: now,
      modifyTime: now,
      modifyTimeMillis: 0,
      avus: new AvuSet(),
    };
    this.byName.set(name, resource);
    return resource;
  }

  /**
   * iadmin rmresc: a resource holding replicas is CAT_RESOURCE_NOT_EMPTY, one with a parent or
   * children CHILD_EXISTS; an unknown name is the catalog's "no rows" (db_del_resc_op checks data
   * first, then the name, then the tree).
   */
  remove(name: string, holdsReplicas: (resource: Resource) => boolean): void {
    if (name.length >= NAME_LEN) fail('SYS_INVALID_INPUT_PARAM', `Could not remove resource [${name}]`);
    if (/\s/.test(name)) fail('CAT_INVALID_RESOURCE_NAME', `Could not remove resource [${name}]`);
    const resource = this.byName.get(name) ?? fail('CAT_NO_ROWS_FOUND', `Could not remove resource [${name}]`);
    if (holdsReplicas(resource)) fail('CAT_RESOURCE_NOT_EMPTY', `Could not remove resource [${name}]`);
    if (resource.parent || resource.children.length > 0) fail('CHILD_EXISTS', `Could not remove resource [${name}]`);
    this.byName.delete(name);
  }

  /** iadmin addchildtoresc (_addChildToResource): no cycles, one parent per child. */
  addChild(parentName: string, childName: string, context: string): void {
    if (parentName.length >= NAME_LEN || childName.length >= NAME_LEN) fail('CAT_RESOURCE_NAME_LENGTH_EXCEEDED');
    if (/\s/.test(parentName) || /\s/.test(childName)) fail('CAT_INVALID_RESOURCE_NAME');
    if (parentName === childName) fail('HIERARCHY_ERROR', `Could not add child resource [${childName}] to resource [${parentName}]`);
    if (context.includes(';')) fail('SYS_INVALID_INPUT_PARAM');
    const child = this.byName.get(childName) ?? fail('CHILD_NOT_FOUND', `Could not add child resource [${childName}] to resource [${parentName}]`);
    const parent = this.byName.get(parentName) ?? fail('CAT_INVALID_RESOURCE', `Could not add child resource [${childName}] to resource [${parentName}]`);
    for (let p: Resource | undefined = parent; p; p = p.parent) {
      if (p === child) fail('HIERARCHY_ERROR', `Could not add child resource [${childName}] to resource [${parentName}]`);
    }
    if (child.parent) fail('CHILD_HAS_PARENT', 'child resource already has a parent');
    child.parent = parent;
    child.parentContext = context;
    parent.children.push(child);
    this.touched(parent);
    this.touched(child);
  }

  /** iadmin rmchildfromresc. */
  removeChild(parentName: string, childName: string): void {
    const parent = this.byName.get(parentName) ?? fail('CAT_INVALID_RESOURCE', `Could not remove child resource [${childName}] from resource [${parentName}]`);
    const child = this.byName.get(childName);
    const index = child ? parent.children.indexOf(child) : -1;
    if (!child || index < 0) fail('CHILD_NOT_FOUND', `Could not remove child resource [${childName}] from resource [${parentName}]`);
    parent.children.splice(index, 1);
    child.parent = undefined;
    child.parentContext = '';
    this.touched(parent);
    this.touched(child);
  }

  /** iadmin modresc; `status` accepts up/down only (checked by the route, as upstream). */
  modify(name: string, property: ResourceProperty, value: string): void {
    if (/\s/.test(name)) fail('CAT_INVALID_RESOURCE_NAME', `Could not modify resource [${name}]`);
    const resource = this.byName.get(name) ?? fail('CAT_INVALID_RESOURCE', `Could not modify resource [${name}]`);
    switch (property) {
      case 'name':
        if (value.length >= NAME_LEN) fail('SYS_INVALID_INPUT_PARAM');
        if (/\s/.test(value) || value === '') fail('CAT_INVALID_RESOURCE_NAME');
        if (this.byName.has(value)) fail('CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME', `Could not change resource name to [${value}] for resource [${name}]`);
        this.byName.delete(name);
        resource.name = value;
        this.byName.set(value, resource);
        break;
      case 'type':
        resource.type = value;
        break;
      case 'host':
        resource.host = value;
        break;
      case 'vault_path':
        resource.vaultPath = value;
        break;
      case 'status':
        resource.status = value;
        break;
      case 'comments':
        resource.comments = value;
        break;
      case 'information':
        resource.information = value;
        break;
      case 'free_space':
        resource.freeSpace = value;
        resource.freeSpaceTime = this.now();
        break;
      case 'context':
        resource.context = value;
        break;
    }
    this.touched(resource);
  }

  /** The resource's hierarchy from its root, as DATA_RESC_HIER spells it ("repl;ufs0"). */
  hierarchyOf(resource: Resource): string {
    const names: string[] = [];
    for (let r: Resource | undefined = resource; r; r = r.parent) names.unshift(r.name);
    return names.join(';');
  }

  rootOf(resource: Resource): Resource {
    let r = resource;
    while (r.parent) r = r.parent;
    return r;
  }

  /** Any resource on the way from `resource` to its root is marked down. */
  isDown(resource: Resource): boolean {
    for (let r: Resource | undefined = resource; r; r = r.parent) if (r.status === 'down') return true;
    return false;
  }

  private touched(resource: Resource): void {
    resource.modifyTime = this.now();
  }
}

/** True for the types that hold bytes themselves (the stand-in models unixfilesystem only). */
export function isStorage(resource: Resource): boolean {
  return resource.type === 'unixfilesystem';
}
