import { avusUnder, collectionAvus, type Avu, type IrodsClient } from '../../irods/index.js';
import type { RegisteredObjects, RegistrationField } from '../../omero/index.js';
import type { OmeroServerTarget } from './server-target.js';

/** An object of the tree with the registration AVUs (of one server) it carries. */
export interface RegisteredObject {
  readonly lpath: string;
  readonly kind: 'collection' | 'data_object';
  readonly avus: readonly Avu[];
}

/** What iRODS says a tree's registration in one server is. */
export interface TreeRegistration {
  /** The root's server AVU (`host:port`); undefined when the root records none for that server. */
  readonly address: string | undefined;
  readonly mode: string | undefined;
  readonly registeredAt: string | undefined;
  /** Every object carrying that server's registration AVUs, root first when it does. */
  readonly objects: readonly RegisteredObject[];
  /** The OMERO ids those AVUs name. */
  readonly ids: RegisteredObjects;
}

const ROOT_FIELDS: readonly RegistrationField[] = ['server', 'mode', 'registeredAt', 'project', 'dataset', 'screen', 'plate'];
const CONTAINERS = [
  ['project', 'projects'],
  ['dataset', 'datasets'],
  ['screen', 'screens'],
  ['plate', 'plates'],
] as const;

/** Without empty units: a remove names the AVU exactly as iRODS holds it. */
const exact = (avu: Avu): Avu => (avu.units ? avu : { attribute: avu.attribute, value: avu.value });

/**
 * The registration the tree's AVUs record for `server` (registration-avus.ts): the root's
 * server, mode, time and container ids, and the image ids on its files and fileset directories.
 * These AVUs are what the rules protect and what `omero unregister` removes; they are read
 * from iRODS, not from the job's history, so what was written by hand or by an older run counts too.
 */
export async function treeRegistration(irods: IrodsClient, root: string, server: OmeroServerTarget): Promise<TreeRegistration> {
  const names = new Map(ROOT_FIELDS.map((f) => [server.attribute(f), f]));
  const rootAvus = (await collectionAvus(irods.query, root)).filter((a) => names.has(a.attribute)).map(exact);
  const valueOf = (field: RegistrationField) => rootAvus.find((a) => a.attribute === server.attribute(field))?.value;
  const ids = { images: [] as string[], projects: [] as string[], datasets: [] as string[], screens: [] as string[], plates: [] as string[] };
  for (const [field, list] of CONTAINERS) {
    for (const a of rootAvus) if (a.attribute === server.attribute(field) && /^\d+$/.test(a.value)) ids[list].push(a.value);
  }
  const byPath = new Map<string, RegisteredObject>();
  if (rootAvus.length) byPath.set(root, { lpath: root, kind: 'collection', avus: rootAvus });
  // The default server's attribute is a prefix of the others': only the exact name is this server's.
  const imageAttribute = server.attribute('image');
  const images = await avusUnder(irods.query, root, imageAttribute, { keep: (attribute) => attribute === imageAttribute });
  for (const [lpath, { kind, avus }] of [...images].sort(([a], [b]) => a.localeCompare(b))) {
    const own = [...avus].sort((a, b) => a.value.localeCompare(b.value));
    for (const avu of own) if (/^\d+$/.test(avu.value)) ids.images.push(avu.value);
    const entry = byPath.get(lpath) ?? { lpath, kind, avus: [] };
    byPath.set(lpath, { ...entry, avus: [...entry.avus, ...own.map(exact)] });
  }
  return { address: valueOf('server'), mode: valueOf('mode'), registeredAt: valueOf('registeredAt'), objects: [...byPath.values()], ids };
}

/** Whether the tree records anything of a registration in that server. */
export function isRegistered(registration: TreeRegistration): boolean {
  return registration.objects.length > 0;
}
