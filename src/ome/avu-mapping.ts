import { IRODS_AVU_LIMITS, type AvuLimits } from '../irods/avu-rules.js';
import { utf8Bytes, type AvuTarget } from './avu.js';
import { localId, type ScopeType } from './avu-units.js';
import { omeTiffAvus, pairOmeTiffImages } from './ome-tiff-avus.js';
import type { OmeXmlImage, OmeXmlMetadata } from './ome-xml-metadata.js';
import { referencedFiles } from './referenced-files.js';
import { TargetAvus } from './target-avus.js';
import { isTransferToolAnnotation, type Image, type Provenance, type ShapeType, type TransferModel } from './transfer-model.js';

export { pairOmeTiffImages } from './ome-tiff-avus.js';
export { NAMESPACE_ATTRIBUTE } from './target-avus.js';

/**
 * TransferModel → AVUs per iRODS object, as docs/avu-mapping.md specifies (that page is the
 * contract; keep the two in step). Pure: no I/O, deterministic output.
 */

export interface AvuMappingOptions {
  /** Catalog column sizes; defaults to IRODS_AVU_LIMITS (2700 / 2700 / 250 bytes). */
  readonly limits?: Partial<AvuLimits> | undefined;
  /** OME-XML read from OME-TIFF headers, by archive-relative path (see readOmeTiffMetadata). */
  readonly omeTiff?: ReadonlyMap<string, OmeXmlMetadata> | undefined;
}

export const MAP_KEY_PREFIX = 'omero.map.';
/** The fallback pair for keys that cannot be attribute names as they are. */
export const MAP_KEY_ATTRIBUTE = 'omero.map_key';
export const MAP_VALUE_ATTRIBUTE = 'omero.map_value';

// C0 and C1 control characters: a key holding one goes to the omero.map_key/value pair.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SHAPE_TYPES: readonly ShapeType[] = ['point', 'line', 'rectangle', 'ellipse', 'polygon', 'polyline', 'label', 'mask'];

const PROVENANCE_FIELDS = [
  ['software', (p) => p.software],
  ['version', (p) => p.version],
  ['packing_timestamp', (p) => p.packingTimestamp],
  ['packing_timestamp_raw', (p) => p.packingTimestampRaw],
  ['origin_hostname', (p) => p.originHostname],
  ['original_user', (p) => p.originalUser],
  ['original_group', (p) => p.originalGroup],
  ['database_id', (p) => p.databaseId],
  ['md5', (p) => (p.md5 === 'TBC' ? undefined : p.md5)],
] as const satisfies readonly (readonly [string, (p: Provenance) => string | undefined])[];

/** `A1`: OMERO's default naming, rows as letters (A…Z, AA…), columns from 1. */
export function wellName(row: number, column: number): string {
  let letters = '';
  for (let r = row + 1; r > 0; r = Math.floor((r - 1) / 26)) letters = String.fromCharCode(65 + ((r - 1) % 26)) + letters;
  return `${letters}${column + 1}`;
}

/** A project, dataset, screen or plate, with the containers it sits in. */
interface ContainerAvus {
  readonly type: ScopeType;
  readonly container: { readonly id: string; readonly name: string | undefined; readonly description: string | undefined; readonly annotationRefs: readonly string[] };
  readonly parents: readonly (readonly [ScopeType, string])[];
}

export function mapTransferToAvus(model: TransferModel, options: AvuMappingOptions = {}): AvuTarget[] {
  return new TransferAvuMapper(model, options).map();
}

/**
 * One mapping run: the root collection's summary, provenance and containers, each image on its
 * file or fileset directory, the attachments on theirs; every target's AVUs collected by a
 * TargetAvus (fitting, de-duplication, namespace references).
 */
class TransferAvuMapper {
  private readonly limits: AvuLimits;
  private readonly targets = new Map<string, TargetAvus>();
  /** `omero.map.<key>` per map key, or null when the key needs the omero.map_key/value pair. */
  private readonly mapAttributes = new Map<string, string | null>();

  constructor(
    private readonly model: TransferModel,
    private readonly options: AvuMappingOptions,
  ) {
    this.limits = { ...IRODS_AVU_LIMITS, ...options.limits };
  }

  map(): AvuTarget[] {
    const root = this.target('', 'collection');
    this.summary(root);
    this.provenance(root);
    this.containers(root);
    const omePairs = this.options.omeTiff ? pairOmeTiffImages(this.model, this.options.omeTiff) : new Map<string, OmeXmlImage>();
    for (const image of this.model.images) this.image(image, omePairs.get(image.id));
    this.attachments();
    return [...this.targets.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((t) => ({ path: t.path, kind: t.kind, avus: t.list() }));
  }

  private target(path: string, kind: AvuTarget['kind']): TargetAvus {
    let t = this.targets.get(path);
    if (!t) {
      t = new TargetAvus(path, kind, this.limits);
      this.targets.set(path, t);
    }
    return t;
  }

  private mapAttribute(key: string): string | null {
    let attribute = this.mapAttributes.get(key);
    if (attribute === undefined) {
      const plain = key !== '' && !CONTROL.test(key) && key.trim() === key && utf8Bytes(MAP_KEY_PREFIX + key) <= this.limits.maxAttributeBytes;
      attribute = plain ? MAP_KEY_PREFIX + key : null;
      this.mapAttributes.set(key, attribute);
    }
    return attribute;
  }

  private summary(root: TargetAvus): void {
    const { model } = this;
    const counts: [string, number][] = [
      ['projects', model.projects.length],
      ['datasets', model.datasets.length],
      ['screens', model.screens.length],
      ['plates', model.plates.length],
      ['wells', model.plates.reduce((n, p) => n + p.wells.length, 0)],
      ['images', model.images.length],
      ['rois', model.rois.length],
      ['shapes', model.rois.reduce((n, r) => n + r.shapeCount, 0)],
      ['annotations', model.annotations.filter((a) => !isTransferToolAnnotation(a)).length],
      ['files', referencedFiles(model).length],
    ];
    for (const [name, n] of counts) root.add(`omero.summary.${name}`, String(n), '');
  }

  private provenance(root: TargetAvus): void {
    for (const [name, read] of PROVENANCE_FIELDS) {
      // Distinct values, in order of first appearance (one per image: normally all equal).
      const values = new Set<string>();
      for (const p of this.model.provenance) {
        const v = read(p);
        if (v !== undefined) values.add(v);
      }
      for (const v of values) root.add(`omero.transfer.${name}`, v, '');
    }
  }

  /** Containers on the root collection: id, name and description, their parents, their annotations. */
  private containers(root: TargetAvus): void {
    const { model } = this;
    const containers: readonly ContainerAvus[] = [
      ...model.projects.map((c) => ({ type: 'project' as const, container: c, parents: [] })),
      ...model.datasets.map((c) => ({ type: 'dataset' as const, container: c, parents: c.projectIds.map((id) => ['project', id] as const) })),
      ...model.screens.map((c) => ({ type: 'screen' as const, container: c, parents: [] })),
      ...model.plates.map((c) => ({ type: 'plate' as const, container: c, parents: c.screenIds.map((id) => ['screen', id] as const) })),
    ];
    for (const { type, container, parents } of containers) {
      const id = localId(type, container.id);
      const own = `${type}:${id}`;
      root.add(`omero.${type}.id`, id, own);
      root.add(`omero.${type}.name`, container.name, own);
      root.add(`omero.${type}.description`, container.description, own);
      for (const [parentType, parentId] of parents) root.add(`omero.${parentType}.id`, localId(parentType, parentId), own);
      this.annotations(root, own, container.annotationRefs);
    }
  }

  /** An image on its file or fileset directory: itself, where it sits, its annotations and ROIs. */
  private image(image: Image, ome: OmeXmlImage | undefined): void {
    const path = image.path?.target ?? '';
    const t = this.target(path, path === '' || image.path?.kind === 'directory' ? 'collection' : 'data_object');
    const imageId = localId('image', image.id);
    const own = `image:${imageId}`;
    t.put('omero.image.id', imageId, own);
    t.put('omero.image.name', image.name, own);
    t.put('omero.image.description', image.description, own);
    const px = image.pixels;
    if (px) {
      t.put('omero.pixels.type', px.type, own);
      t.put('omero.pixels.dimension_order', px.dimensionOrder, own);
      t.put('omero.pixels.size_x', px.sizeX === undefined ? undefined : String(px.sizeX), own);
      t.put('omero.pixels.size_y', px.sizeY === undefined ? undefined : String(px.sizeY), own);
      t.put('omero.pixels.size_z', px.sizeZ === undefined ? undefined : String(px.sizeZ), own);
      t.put('omero.pixels.size_c', px.sizeC === undefined ? undefined : String(px.sizeC), own);
      t.put('omero.pixels.size_t', px.sizeT === undefined ? undefined : String(px.sizeT), own);
    }
    this.imageDatasets(t, own, image);
    this.imageWells(t, own, image);
    this.annotations(t, own, image.annotationRefs);
    for (const membership of image.wells) {
      this.annotations(t, `well:${localId('well', membership.wellId)}`, this.model.byId.wells.get(membership.wellId)?.annotationRefs ?? [], true);
    }
    t.put('omero.roi.count', String(image.roiRefs.length), own);
    const shapes = image.roiShapes;
    for (const type of SHAPE_TYPES) {
      const n = shapes[type];
      if (n > 0) t.put(`omero.roi.shapes.${type}`, String(n), own);
    }
    if (ome) omeTiffAvus(t, own, ome);
  }

  private imageDatasets(t: TargetAvus, own: string, image: Image): void {
    const { byId } = this.model;
    for (const datasetId of image.datasetIds) {
      const dataset = byId.datasets.get(datasetId);
      const ds = localId('dataset', datasetId);
      addIdAndName(t, 'dataset', ds, dataset?.name, own);
      for (const projectId of dataset?.projectIds ?? []) {
        addIdAndName(t, 'project', localId('project', projectId), byId.projects.get(projectId)?.name, `dataset:${ds}`);
      }
    }
  }

  private imageWells(t: TargetAvus, own: string, image: Image): void {
    const { byId } = this.model;
    for (const membership of image.wells) {
      const well = byId.wells.get(membership.wellId);
      const plate = byId.plates.get(membership.plateId);
      const w = `well:${localId('well', membership.wellId)}`;
      const pl = localId('plate', membership.plateId);
      t.add('omero.well.id', localId('well', membership.wellId), own);
      if (well) {
        t.add('omero.well.row', String(well.row), w);
        t.add('omero.well.column', String(well.column), w);
        t.add('omero.well.name', wellName(well.row, well.column), w);
      }
      addIdAndName(t, 'plate', pl, plate?.name, w);
      for (const screenId of plate?.screenIds ?? []) {
        addIdAndName(t, 'screen', localId('screen', screenId), byId.screens.get(screenId)?.name, `plate:${pl}`);
      }
    }
  }

  /**
   * An object's annotations, in the order of its AnnotationRefs (each once: the model has
   * removed repeated refs); `subject` is its scope token. Their AVUs are unique by their units,
   * so no duplicate check per AVU — except for wells, whose annotations come once per image of
   * the well and are checked per annotation (`shared`).
   */
  private annotations(t: TargetAvus, subject: string, refs: readonly string[], shared = false): void {
    for (const ref of refs) {
      const a = this.model.byId.annotations.get(ref);
      if (!a) continue;
      const head = `${subject} annotation:${localId('annotation', a.id)}`;
      if (shared && !t.firstVisit(head)) continue;
      // The longest units this annotation's AVUs can have: head, ` #<n>`, ` empty truncated`.
      const longest = utf8Bytes(head) + (a.kind === 'map' ? 2 + String(a.entries.length).length : 0) + ' empty truncated'.length;
      const ns = t.namespaceSuffix(a.kind === 'long' && a.rating ? undefined : a.namespace, longest);
      switch (a.kind) {
        case 'tag':
        case 'comment':
        case 'timestamp':
        case 'double':
        case 'boolean':
        case 'term':
          t.put(`omero.${a.kind}`, a.value, head, ns, true);
          break;
        case 'long':
          // The rating namespace is implied by the attribute.
          if (a.rating) t.put('omero.rating', a.value, head, '', true);
          else t.put('omero.long', a.value, head, ns, true);
          break;
        case 'map':
          for (let n = 0; n < a.entries.length; n++) {
            const entry = a.entries[n];
            if (!entry) continue;
            const units = `${head} #${n}`;
            const attribute = this.mapAttribute(entry.key);
            if (attribute !== null) {
              t.put(attribute, entry.value, units, ns, true);
            } else {
              t.put(MAP_KEY_ATTRIBUTE, entry.key, units, ns, true);
              t.put(MAP_VALUE_ATTRIBUTE, entry.value, units, ns, true);
            }
          }
          break;
        case 'file':
          t.put('omero.attachment', a.path?.target ?? a.fileName, head, ns);
          break;
        case 'xml':
        case 'transfer_path':
        case 'transfer_provenance':
          // Users' XMLAnnotations are not mapped; the tool's own become paths and the summary.
          break;
      }
    }
  }

  /** Attachments and figures, on their own file: the annotation and what it is attached to. */
  private attachments(): void {
    const { model } = this;
    const attachedTo = new Map<string, { type: ScopeType; id: string; name: string | undefined }[]>();
    for (const a of model.annotations) if (a.kind === 'file' && a.path) attachedTo.set(a.id, []);
    if (attachedTo.size === 0) return;
    const noteLinks = (type: ScopeType, id: string, name: string | undefined, refs: readonly string[]): void => {
      for (const ref of refs) attachedTo.get(ref)?.push({ type, id: localId(type, id), name });
    };
    for (const p of model.projects) noteLinks('project', p.id, p.name, p.annotationRefs);
    for (const d of model.datasets) noteLinks('dataset', d.id, d.name, d.annotationRefs);
    for (const s of model.screens) noteLinks('screen', s.id, s.name, s.annotationRefs);
    for (const p of model.plates) {
      noteLinks('plate', p.id, p.name, p.annotationRefs);
      for (const w of p.wells) noteLinks('well', w.id, undefined, w.annotationRefs);
    }
    for (const i of model.images) noteLinks('image', i.id, i.name, i.annotationRefs);
    for (const a of model.annotations) {
      if (a.kind !== 'file' || !a.path) continue;
      const t = this.target(a.path.target, 'data_object');
      const id = localId('annotation', a.id);
      const own = `annotation:${id}`;
      t.add('omero.annotation.id', id, own);
      t.add('omero.annotation.namespace', a.namespace, own);
      t.add('omero.annotation.description', a.description, own);
      t.add('omero.file.name', a.fileName, own);
      t.add('omero.file.size', a.size, own);
      for (const link of attachedTo.get(a.id) ?? []) addIdAndName(t, link.type, link.id, link.name, own);
    }
  }
}

/** An object a target relates to: its id under `scope`, its name under its own token (`<scope> <type>:<id>`). */
function addIdAndName(t: TargetAvus, type: ScopeType, id: string, name: string | undefined, scope: string): void {
  t.add(`omero.${type}.id`, id, scope);
  t.add(`omero.${type}.name`, name, `${scope} ${type}:${id}`);
}
