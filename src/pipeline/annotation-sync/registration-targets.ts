import type { Avu } from '../../irods/types.js';
import { compareIds, OMERO_ID_ATTRIBUTES, type AnnotatableType, type RegistrationField } from '../../omero/index.js';

/** The registration attributes of one server (registration-avus.ts); the default server's by default. */
type Attributes = Readonly<Record<RegistrationField, string>>;

/** An OMERO object an iRODS object became. */
export interface OmeroTarget {
  readonly type: AnnotatableType;
  readonly id: string;
}

const ORDER: readonly AnnotatableType[] = ['Image', 'Project', 'Dataset', 'Screen', 'Plate'];

const idsOf = (avus: readonly Avu[], attribute: string): string[] =>
  [...new Set(avus.filter((a) => a.attribute === attribute && /^\d+$/.test(a.value)).map((a) => a.value))].sort(compareIds);

/**
 * What an object's registration AVUs (src/omero/registration-avus.ts) say it became in OMERO,
 * and so where its MapAnnotation goes: an image file (or fileset directory) → its Images; the
 * expanded tree's root collection → its top-level containers: the Projects and Screens, and the
 * Datasets (Plates) only when it registered no Project (Screen) to hold them, so a tree shows its
 * metadata once, on the container a user opens first.
 */
export function registrationTargets(avus: readonly Avu[], attributes: Attributes = OMERO_ID_ATTRIBUTES): OmeroTarget[] {
  const projects = idsOf(avus, attributes.project);
  const screens = idsOf(avus, attributes.screen);
  const byType: Record<AnnotatableType, string[]> = {
    Image: idsOf(avus, attributes.image),
    Project: projects,
    Dataset: projects.length ? [] : idsOf(avus, attributes.dataset),
    Screen: screens,
    Plate: screens.length ? [] : idsOf(avus, attributes.plate),
  };
  return ORDER.flatMap((type) => byType[type].map((id) => ({ type, id })));
}

/** The `host:port` a registration AVU names, if the AVUs carry one. */
export function registeredServer(avus: readonly Avu[], attributes: Attributes = OMERO_ID_ATTRIBUTES): string | undefined {
  return avus.find((a) => a.attribute === attributes.server)?.value;
}
