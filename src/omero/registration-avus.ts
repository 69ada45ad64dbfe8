import type { Avu } from '../irods/index.js';
import type { AvuTarget } from '../ome/index.js';
import type { Registration } from './registration.js';

/**
 * The agent's namespace for what OMERO made of an archive. Not under `omero.`: the metadata step
 * owns that prefix and removes what it did not write there; and not the bare agent namespace,
 * whose other attributes (source_job, source_archive) belong to the expand step.
 */
export const OMERO_ID_PREFIX = 'irods_omero_agent::omero_';

export const OMERO_ID_ATTRIBUTES = {
  server: `${OMERO_ID_PREFIX}server`,
  mode: `${OMERO_ID_PREFIX}mode`,
  registeredAt: `${OMERO_ID_PREFIX}registered_at`,
  image: `${OMERO_ID_PREFIX}image_id`,
  project: `${OMERO_ID_PREFIX}project_id`,
  dataset: `${OMERO_ID_PREFIX}dataset_id`,
  screen: `${OMERO_ID_PREFIX}screen_id`,
  plate: `${OMERO_ID_PREFIX}plate_id`,
} as const;

export interface RegistrationFacts {
  /** host:port */
  readonly server: string;
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
  const root: Avu[] = [
    { attribute: OMERO_ID_ATTRIBUTES.server, value: facts.server },
    { attribute: OMERO_ID_ATTRIBUTES.mode, value: facts.mode },
    { attribute: OMERO_ID_ATTRIBUTES.registeredAt, value: facts.registeredAt },
  ];
  const containers = [
    ['project', registration.projects],
    ['dataset', registration.datasets],
    ['screen', registration.screens],
    ['plate', registration.plates],
  ] as const;
  for (const [type, list] of containers) {
    for (const c of list) {
      if (c.omero_id !== null) root.push({ attribute: OMERO_ID_ATTRIBUTES[type], value: c.omero_id, units: `${type}:${c.source_id}` });
    }
  }
  const byPath = new Map<string, Avu[]>();
  for (const image of registration.images) {
    const list = byPath.get(image.path) ?? [];
    list.push({ attribute: OMERO_ID_ATTRIBUTES.image, value: image.omero_id, units: `image:${image.source_id}` });
    byPath.set(image.path, list);
  }
  const targets: AvuTarget[] = [{ path: '', kind: 'collection', avus: root }];
  for (const [path, avus] of [...byPath.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (path === '') targets[0] = { path: '', kind: 'collection', avus: [...root, ...avus] };
    else targets.push({ path, kind: kindOf(path), avus });
  }
  return targets;
}
