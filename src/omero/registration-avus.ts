import type { Avu } from '../irods/index.js';
import type { AvuTarget } from '../ome/index.js';
import type { Registration } from './registration.js';

/**
 * The agent's namespace for what OMERO made of an archive. Not under `omero.`: the metadata step
 * owns that prefix and removes what it did not write there; and not the bare agent namespace,
 * whose other attributes (source_job, source_archive) belong to the expand step.
 */
export const OMERO_ID_PREFIX = 'irods_omero_agent::omero_';

/** The fields a registration records, each one attribute (registrationAttribute). */
export const REGISTRATION_FIELDS = {
  server: 'server',
  mode: 'mode',
  registeredAt: 'registered_at',
  image: 'image_id',
  project: 'project_id',
  dataset: 'dataset_id',
  screen: 'screen_id',
  plate: 'plate_id',
} as const;

export type RegistrationField = keyof typeof REGISTRATION_FIELDS;

/** Which server a registration is in, as far as its attribute names go. */
export interface RegistrationServer {
  readonly name: string;
  readonly isDefault: boolean;
}

/**
 * The attribute of one registration field: `irods_omero_agent::omero_<field>` in the default
 * server (the names registrations had before there were several servers, which the annotation
 * sync and the rules read), `irods_omero_agent::omero_<field>::<server name>` in any other, so two
 * servers' ids never mix and the rules' prefix checks still see them. The one place this is decided.
 */
export function registrationAttribute(field: RegistrationField, server: RegistrationServer): string {
  const base = `${OMERO_ID_PREFIX}${REGISTRATION_FIELDS[field]}`;
  return server.isDefault ? base : `${base}::${server.name}`;
}

/** Every field's attribute for one server. */
export function registrationAttributes(server: RegistrationServer): Readonly<Record<RegistrationField, string>> {
  const out = {} as Record<RegistrationField, string>;
  for (const field of Object.keys(REGISTRATION_FIELDS) as RegistrationField[]) out[field] = registrationAttribute(field, server);
  return out;
}

const FIELD_BY_NAME = new Map(Object.entries(REGISTRATION_FIELDS).map(([field, name]) => [name, field as RegistrationField]));

/**
 * What a registration attribute says: its field and its server's name (null: the default
 * server); undefined for any other attribute.
 */
export function parseRegistrationAttribute(attribute: string): { readonly field: RegistrationField; readonly server: string | null } | undefined {
  if (!attribute.startsWith(OMERO_ID_PREFIX)) return undefined;
  const [name = '', server, ...more] = attribute.slice(OMERO_ID_PREFIX.length).split('::');
  const field = FIELD_BY_NAME.get(name as (typeof REGISTRATION_FIELDS)[RegistrationField]);
  if (field === undefined || more.length || (server !== undefined && !/^[a-z][a-z0-9_-]{0,31}$/.test(server))) return undefined;
  return { field, server: server ?? null };
}

/** Whether an attribute is one of that server's registration attributes. */
export function isRegistrationAttributeOf(attribute: string, server: RegistrationServer): boolean {
  const parsed = parseRegistrationAttribute(attribute);
  return parsed !== undefined && parsed.server === (server.isDefault ? null : server.name);
}

/** The default server's attributes: what registrations made before several servers carry. */
export const OMERO_ID_ATTRIBUTES = registrationAttributes({ name: '', isDefault: true });

export interface RegistrationFacts {
  /** host:port, the value of the server attribute. */
  readonly server: string;
  /** Which server: decides the attribute names (absent: the default server). */
  readonly in?: RegistrationServer;
  readonly mode: 'ln_s' | 'upload';
  /** ISO 8601, when unpack finished. */
  readonly registeredAt: string;
}

/**
 * The AVUs that record a registration, per object of the expanded tree (path '' = its root
 * collection): on each image's file (or fileset directory) `…omero_image_id = <OMERO id>` with
 * units `image:<source id>` (several on a multi-image file), on the root the server, the mode,
 * the time and the containers' ids with units `<type>:<source id>`. Units follow the scope
 * convention of docs/avu-mapping.md, so `omero.image.id = 51 | image:51` and
 * `irods_omero_agent::omero_image_id = 1203 | image:51` on one file read together.
 */
export function registrationAvus(
  registration: Registration,
  facts: RegistrationFacts,
  kindOf: (path: string) => 'collection' | 'data_object',
): AvuTarget[] {
  const attribute = facts.in ? registrationAttributes(facts.in) : OMERO_ID_ATTRIBUTES;
  const root: Avu[] = [
    { attribute: attribute.server, value: facts.server },
    { attribute: attribute.mode, value: facts.mode },
    { attribute: attribute.registeredAt, value: facts.registeredAt },
  ];
  const containers = [
    ['project', registration.projects],
    ['dataset', registration.datasets],
    ['screen', registration.screens],
    ['plate', registration.plates],
  ] as const;
  for (const [type, list] of containers) {
    for (const c of list) {
      if (c.omero_id !== null) root.push({ attribute: attribute[type], value: c.omero_id, units: `${type}:${c.source_id}` });
    }
  }
  const byPath = new Map<string, Avu[]>();
  for (const image of registration.images) {
    const list = byPath.get(image.path) ?? [];
    list.push({ attribute: attribute.image, value: image.omero_id, units: `image:${image.source_id}` });
    byPath.set(image.path, list);
  }
  const targets: AvuTarget[] = [{ path: '', kind: 'collection', avus: root }];
  for (const [path, avus] of [...byPath.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (path === '') targets[0] = { path: '', kind: 'collection', avus: [...root, ...avus] };
    else targets.push({ path, kind: kindOf(path), avus });
  }
  return targets;
}
