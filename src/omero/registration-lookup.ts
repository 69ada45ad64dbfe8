import type { TransferModel } from '../ome/index.js';
import type { OmeroCli } from './omero-cli.js';
import {
  archivePathOf,
  pairContainers,
  pairImages,
  sourceContainers,
  type ContainerLink,
  type ImportedImage,
  type Registration,
} from './registration.js';

/** Ids per `in (…)` list: keeps each query, and so each command line, short. */
const IDS_PER_QUERY = 200;

/**
 * The HQL the lookup runs. The free-text column comes last, the ids only from OMERO's own
 * output (digits, checked), so nothing from an archive is ever spliced into a query.
 */
export const REGISTRATION_QUERIES = {
  // Every projection is ordered by columns that make each row unique: `omero hql` pages with
  // --limit/--offset, and without an order the database may hand each page rows from another
  // order, repeating some and skipping others (a fileset's clientPaths are distinct).
  imageFiles: (ids: string) =>
    `select i.id, u.clientPath, i.name from Image i join i.fileset fs join fs.usedFiles u where i.id in (${ids}) order by i.id, u.clientPath`,
  datasets: (ids: string) =>
    `select distinct d.id, i.id, d.name from Dataset d join d.imageLinks l join l.child i where i.id in (${ids}) order by d.id, i.id`,
  projects: (ids: string) =>
    `select distinct p.id, d.id, p.name from Project p join p.datasetLinks l join l.child d where d.id in (${ids}) order by p.id, d.id`,
  plates: (ids: string) =>
    `select distinct p.id, i.id, p.name from Plate p join p.wells w join w.wellSamples ws join ws.image i where i.id in (${ids}) order by p.id, i.id`,
  screens: (ids: string) =>
    `select distinct s.id, p.id, s.name from Screen s join s.plateLinks l join l.child p where p.id in (${ids}) order by s.id, p.id`,
} as const;

/** Ids as comma-separated `in (…)` lists of at most IDS_PER_QUERY each. */
export function chunks(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) out.push(ids.slice(i, i + IDS_PER_QUERY).join(', '));
  return out;
}

interface Paging {
  readonly signal?: AbortSignal | undefined;
  /** Rows per `omero hql` call (default: hqlAll's). */
  readonly pageSize?: number | undefined;
}

async function links(cli: OmeroCli, query: (ids: string) => string, ids: readonly string[], paging: Paging): Promise<ContainerLink[]> {
  const out: ContainerLink[] = [];
  for (const list of chunks(ids)) {
    for (const [containerId = '', childId = '', name = ''] of await cli.hqlAll(query(list), 3, paging)) {
      if (/^\d+$/.test(containerId) && /^\d+$/.test(childId)) out.push({ containerId, childId, name });
    }
  }
  return out;
}

/**
 * Learns what unpack made of an archive, since it does not say (omero-cli-transfer #71): the new
 * images are those the imports printed; their files (fileset clientPath, the very key unpack
 * matches on) tell which source image each stands for; the containers are found through the
 * links unpack made to those images. All through `omero hql`, with this session.
 */
export async function lookupRegistration(
  cli: OmeroCli,
  input: {
    readonly model: TransferModel;
    readonly imageIds: readonly string[];
    /** The folder unpack was given: clientPaths start with it. */
    readonly folder: string;
    readonly expectedPaths: ReadonlySet<string>;
  } & Paging,
): Promise<Registration> {
  const paging: Paging = { signal: input.signal, pageSize: input.pageSize };
  const ids = input.imageIds.filter((id) => /^\d+$/.test(id));
  const files = new Map<string, { name: string | null; paths: Set<string> }>();
  for (const list of chunks(ids)) {
    for (const [id = '', clientPath = '', name = ''] of await cli.hqlAll(REGISTRATION_QUERIES.imageFiles(list), 3, paging)) {
      if (!/^\d+$/.test(id)) continue;
      const entry = files.get(id) ?? { name: name || null, paths: new Set<string>() };
      const rel = archivePathOf(clientPath, input.folder, input.expectedPaths);
      if (rel !== undefined) entry.paths.add(rel);
      files.set(id, entry);
    }
  }
  // An image the import reported but the query cannot see still counts (as unmatched).
  const imported: ImportedImage[] = ids.map((id) => ({ omeroId: id, name: files.get(id)?.name ?? null, paths: [...(files.get(id)?.paths ?? [])] }));
  const paired = pairImages(input.model, imported, input.expectedPaths);

  const sources = sourceContainers(input.model);
  const imageMap = new Map(paired.images.map((i) => [i.source_id, i.omero_id]));
  const newImages = paired.images.map((i) => i.omero_id);

  const datasetLinks = sources.datasets.length ? await links(cli, REGISTRATION_QUERIES.datasets, newImages, paging) : [];
  const datasets = pairContainers(sources.datasets, imageMap, datasetLinks);
  const datasetMap = new Map(datasets.filter((d) => d.omero_id !== null).map((d) => [d.source_id, d.omero_id as string]));
  const projectLinks = sources.projects.length ? await links(cli, REGISTRATION_QUERIES.projects, [...new Set(datasetMap.values())], paging) : [];
  const projects = pairContainers(sources.projects, datasetMap, projectLinks);

  const plateLinks = sources.plates.length ? await links(cli, REGISTRATION_QUERIES.plates, newImages, paging) : [];
  const plates = pairContainers(sources.plates, imageMap, plateLinks);
  const plateMap = new Map(plates.filter((p) => p.omero_id !== null).map((p) => [p.source_id, p.omero_id as string]));
  const screenLinks = sources.screens.length ? await links(cli, REGISTRATION_QUERIES.screens, [...new Set(plateMap.values())], paging) : [];
  const screens = pairContainers(sources.screens, plateMap, screenLinks);

  return { ...paired, projects, datasets, screens, plates };
}
