import { localId, type ScopeType, type TransferModel } from '../ome/index.js';

/**
 * What an archive became in OMERO: source ids (as transfer.xml has them, without the type
 * prefix, as text) paired with the new OMERO ids. snake_case: it is stored as is in the job
 * step's detail and served by the archives feed.
 */
export interface RegisteredImage {
  readonly source_id: string;
  readonly omero_id: string;
  /** The file (or fileset directory) it was imported from, relative to the expanded collection. */
  readonly path: string;
}

export interface RegisteredContainer {
  readonly source_id: string;
  /** null: no imported image links it, so it could not be found (e.g. an empty Dataset). */
  readonly omero_id: string | null;
  readonly name: string | null;
}

export interface Registration {
  readonly images: readonly RegisteredImage[];
  readonly projects: readonly RegisteredContainer[];
  readonly datasets: readonly RegisteredContainer[];
  readonly screens: readonly RegisteredContainer[];
  readonly plates: readonly RegisteredContainer[];
  /** Source images with a file in the archive that no new OMERO image could be paired with. */
  readonly unmatched_source_images: readonly { readonly source_id: string; readonly path: string }[];
  /** New OMERO images that could not be paired with a source image (unpack left them unlinked too). */
  readonly unmatched_omero_images: readonly { readonly omero_id: string; readonly name: string | null }[];
}

/** One image the imports created: its id, name, and the archive-relative paths of its files. */
export interface ImportedImage {
  readonly omeroId: string;
  readonly name: string | null;
  readonly paths: readonly string[];
}

/** A container in OMERO holding a child (Dataset → Image, Project → Dataset, …). */
export interface ContainerLink {
  readonly containerId: string;
  readonly childId: string;
  readonly name: string | null;
}

/** Numeric ids in numeric order (ids may exceed 2^53), anything else after them by text. */
export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The archive-relative path of a file the import read, from its OMERO clientPath. clientPath is
 * the path the importing client saw, stored without its leading slash; unpack imports
 * `<folder>/./<path>`, and the `.` may or may not survive, so both are compared segment-wise.
 */
export function relativeClientPath(clientPath: string, folder: string): string | undefined {
  const segments = (p: string) => p.split('/').filter((s) => s !== '' && s !== '.');
  const file = segments(clientPath);
  const base = segments(folder);
  if (file.length <= base.length || base.some((s, i) => file[i] !== s)) return undefined;
  return file.slice(base.length).join('/');
}

/**
 * relativeClientPath, or, when the importer recorded the folder differently (a symbolic link in
 * the mount path resolved, another mount point), the part of clientPath that starts with one of
 * the archive's image paths: matched on whole segments, longest path first.
 */
export function archivePathOf(clientPath: string, folder: string, expectedPaths: ReadonlySet<string>): string | undefined {
  const direct = relativeClientPath(clientPath, folder);
  if (direct !== undefined) return direct;
  const file = `/${clientPath.split('/').filter((s) => s !== '' && s !== '.').join('/')}`;
  for (const path of [...expectedPaths].sort((a, b) => b.length - a.length)) {
    if (path === '') continue;
    if (file.endsWith(`/${path}`)) return path;
    const at = file.lastIndexOf(`/${path}/`);
    if (at !== -1) return file.slice(at + 1);
  }
  return undefined;
}

interface SourceGroup {
  readonly key: string;
  readonly directory: boolean;
  readonly sourceIds: string[];
  readonly omeroIds: string[];
}

/**
 * Pairs source and new images the way unpack itself does (omero-cli-transfer `_make_image_map`):
 * per imported file or fileset, the source images sorted by id with the new images sorted by id,
 * and only where both counts agree (otherwise unpack links none of them, and neither do we).
 * `expectedPaths`: the paths present in the expanded archive; images whose file the archive
 * lacks were not imported and are not missed.
 */
export function pairImages(
  model: TransferModel,
  imported: readonly ImportedImage[],
  expectedPaths: ReadonlySet<string>,
): Pick<Registration, 'images' | 'unmatched_source_images' | 'unmatched_omero_images'> {
  const groups = new Map<string, SourceGroup>();
  for (const image of model.images) {
    const path = image.path;
    if (!path || !expectedPaths.has(path.target)) continue;
    const group = groups.get(path.target) ?? { key: path.target, directory: path.kind === 'directory', sourceIds: [], omeroIds: [] };
    group.sourceIds.push(localId('image', image.id));
    groups.set(path.target, group);
  }
  // Longest keys first: a file inside a fileset directory belongs to the most specific entry.
  const keys = [...groups.values()].sort((a, b) => b.key.length - a.key.length);
  const unmatchedOmero: { omero_id: string; name: string | null }[] = [];
  for (const image of imported) {
    const group = keys.find((g) => image.paths.some((p) => (g.directory ? p.startsWith(`${g.key}/`) : p === g.key)));
    if (group) group.omeroIds.push(image.omeroId);
    else unmatchedOmero.push({ omero_id: image.omeroId, name: image.name });
  }
  const images: RegisteredImage[] = [];
  const unmatchedSource: { source_id: string; path: string }[] = [];
  const names = new Map(imported.map((i) => [i.omeroId, i.name]));
  for (const group of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const sources = [...new Set(group.sourceIds)].sort(compareIds);
    const omeroIds = [...new Set(group.omeroIds)].sort(compareIds);
    if (sources.length === omeroIds.length) {
      sources.forEach((source, i) => images.push({ source_id: source, omero_id: omeroIds[i] as string, path: group.key }));
    } else {
      for (const source of sources) unmatchedSource.push({ source_id: source, path: group.key });
      for (const id of omeroIds) unmatchedOmero.push({ omero_id: id, name: names.get(id) ?? null });
    }
  }
  return { images, unmatched_source_images: unmatchedSource, unmatched_omero_images: unmatchedOmero.sort((a, b) => compareIds(a.omero_id, b.omero_id)) };
}

export interface SourceContainer {
  readonly sourceId: string;
  readonly name: string | null;
  /** Source ids (local form) of its children. */
  readonly children: readonly string[];
}

/**
 * Finds the OMERO container unpack made (or, with --merge, reused) for each source container:
 * the one holding the new counterparts of its children under the same name (unpack names them
 * after transfer.xml). When several do (merge into a container that already held other data),
 * the one holding most of the children wins, then the newest.
 */
export function pairContainers(
  sources: readonly SourceContainer[],
  childMap: ReadonlyMap<string, string>,
  links: readonly ContainerLink[],
): RegisteredContainer[] {
  return sources.map((source) => {
    const children = new Set(source.children.map((c) => childMap.get(c)).filter((c): c is string => c !== undefined));
    const score = new Map<string, number>();
    for (const link of links) {
      if (!children.has(link.childId) || (link.name ?? '') !== (source.name ?? '')) continue;
      score.set(link.containerId, (score.get(link.containerId) ?? 0) + 1);
    }
    const best = [...score.entries()].sort((a, b) => b[1] - a[1] || compareIds(b[0], a[0]))[0];
    return { source_id: source.sourceId, omero_id: best?.[0] ?? null, name: source.name };
  });
}

/** The containers of transfer.xml with their children, in local-id form, per type. */
export function sourceContainers(model: TransferModel): Record<'projects' | 'datasets' | 'screens' | 'plates', SourceContainer[]> {
  const local = (type: ScopeType, id: string) => localId(type, id);
  const platesImages = new Map<string, string[]>();
  for (const image of model.images) {
    for (const well of image.wells) {
      const list = platesImages.get(well.plateId) ?? [];
      list.push(local('image', image.id));
      platesImages.set(well.plateId, list);
    }
  }
  return {
    projects: model.projects.map((p) => ({ sourceId: local('project', p.id), name: p.name ?? null, children: p.datasetRefs.map((d) => local('dataset', d)) })),
    datasets: model.datasets.map((d) => ({ sourceId: local('dataset', d.id), name: d.name ?? null, children: d.imageRefs.map((i) => local('image', i)) })),
    screens: model.screens.map((s) => ({ sourceId: local('screen', s.id), name: s.name ?? null, children: s.plateRefs.map((p) => local('plate', p)) })),
    plates: model.plates.map((p) => ({ sourceId: local('plate', p.id), name: p.name ?? null, children: platesImages.get(p.id) ?? [] })),
  };
}
