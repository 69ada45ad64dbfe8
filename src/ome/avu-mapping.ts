import {
  EMPTY_VALUE,
  fitBytes,
  IRODS_AVU_LIMITS,
  utf8Bytes,
  utf8Prefix,
  type Avu,
  type AvuLimits,
  type AvuTarget,
} from './avu.js';
import { hashToken, localId, type ScopeType } from './avu-units.js';
import { formatOmeColor, type OmeXmlImage, type OmeXmlMetadata } from './ome-xml-metadata.js';
import { referencedFiles } from './referenced-files.js';
import { isTransferToolAnnotation, type Image, type Provenance, type ShapeType, type TransferModel } from './transfer-model.js';

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
export const NAMESPACE_ATTRIBUTE = 'omero.namespace';

// C0 and C1 control characters: a key holding one goes to the omero.map_key/value pair.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SHAPE_TYPES: readonly ShapeType[] = ['point', 'line', 'rectangle', 'ellipse', 'polygon', 'polyline', 'label', 'mask'];

/**
 * One iRODS object's AVUs being collected: fits values and units, de-duplicates. Hot path (10^5
 * AVUs per large archive): units arrive pre-formatted, and duplicates are found with nested maps
 * keyed by the (mostly shared, hash-cached) strings rather than by concatenated keys.
 */
class TargetAvus {
  private readonly avus: Avu[] = [];
  private readonly seen = new Map<string, Map<string, Set<string>>>();
  private readonly visited = new Set<string>();
  private readonly namespaces = new Map<string, string>();
  private readonly namespaceBytes = new Map<string, number>();

  constructor(
    readonly path: string,
    readonly kind: AvuTarget['kind'],
    private readonly limits: AvuLimits,
  ) {}

  /**
   * Adds one AVU. `head` is the units' tokens before the flags (formatUnitsHead's form: scopes,
   * `#n`, `unit:`); `suffix` the namespace token from namespaceSuffix, which goes last. An
   * undefined value, or an empty one unless `keepEmpty`, writes nothing (iRODS refuses empty
   * values; absence means empty). With `keepEmpty` an empty value becomes EMPTY_VALUE and the
   * units say `empty`.
   */
  add(attribute: string, value: string | undefined, head: string, suffix = '', keepEmpty = false): void {
    const avu = this.fit(attribute, value, head, suffix, keepEmpty);
    if (!avu) return;
    let byValue = this.seen.get(avu.attribute);
    if (!byValue) {
      byValue = new Map();
      this.seen.set(avu.attribute, byValue);
    }
    let byUnits = byValue.get(avu.value);
    if (!byUnits) {
      byUnits = new Set();
      byValue.set(avu.value, byUnits);
    }
    const units = avu.units ?? '';
    if (byUnits.has(units)) return;
    byUnits.add(units);
    this.avus.push(avu);
  }

  /**
   * As add, without the duplicate check, for AVUs unique by construction: their units name an
   * object (an image, an annotation on a subject) that is mapped once per target, and their
   * attributes never appear with other units.
   */
  put(attribute: string, value: string | undefined, head: string, suffix = '', keepEmpty = false): void {
    const avu = this.fit(attribute, value, head, suffix, keepEmpty);
    if (avu) this.avus.push(avu);
  }

  /** True the first time an annotation is seen on a subject in this target. */
  firstVisit(subjectAndAnnotation: string): boolean {
    if (this.visited.has(subjectAndAnnotation)) return false;
    this.visited.add(subjectAndAnnotation);
    return true;
  }

  private fit(attribute: string, value: string | undefined, head: string, suffix: string, keepEmpty: boolean): Avu | undefined {
    if (value === undefined) return undefined;
    let text = value;
    let flags = '';
    if (text === '') {
      if (!keepEmpty) return undefined;
      text = EMPTY_VALUE;
      flags = ' empty';
    }
    if (text.length * 3 > this.limits.maxValueBytes) {
      const fitted = fitBytes(text, this.limits.maxValueBytes);
      if (fitted.truncated) {
        text = fitted.text;
        flags += ' truncated';
      }
    }
    let units = flags === '' && suffix === '' ? head : head === '' ? (flags + suffix).slice(1) : head + flags + suffix;
    if (units.length * 3 > this.limits.maxUnitsBytes && utf8Bytes(units) > this.limits.maxUnitsBytes) {
      // Unreachable with the catalog's 250 bytes (ids over 64 bytes are hashed, long namespaces
      // referenced); a guard for tiny configured limits.
      units = utf8Prefix(units, this.limits.maxUnitsBytes);
    }
    const name = attribute.length * 3 > this.limits.maxAttributeBytes ? fitBytes(attribute, this.limits.maxAttributeBytes).text : attribute;
    return units === '' ? { attribute: name, value: text } : { attribute: name, value: text, units };
  }

  list(): Avu[] {
    for (const [ref, namespace] of this.namespaces) {
      this.avus.push({ attribute: NAMESPACE_ATTRIBUTE, value: fitBytes(namespace, this.limits.maxValueBytes).text, units: `ns#${ref}` });
    }
    this.namespaces.clear();
    return this.avus;
  }

  /**
   * The namespace token for one annotation's AVUs: ` ns:<namespace>` when it fits after the
   * longest units the annotation will have (`longestHead` bytes, flags included), else the
   * reference ` ns#<hex>` resolved by this target's omero.namespace AVU. Decided once per
   * annotation, so all its AVUs carry the same form.
   */
  namespaceSuffix(namespace: string | undefined, longestHead: number): string {
    if (namespace === undefined) return '';
    let nsBytes = this.namespaceBytes.get(namespace);
    if (nsBytes === undefined) {
      nsBytes = utf8Bytes(namespace);
      this.namespaceBytes.set(namespace, nsBytes);
    }
    if (longestHead + nsBytes + 4 <= this.limits.maxUnitsBytes) return ` ns:${namespace}`;
    const ref = hashToken(namespace, 12);
    this.namespaces.set(ref, namespace);
    return ` ns#${ref}`;
  }
}

/** `A1`: OMERO's default naming, rows as letters (A…Z, AA…), columns from 1. */
export function wellName(row: number, column: number): string {
  let letters = '';
  for (let r = row + 1; r > 0; r = Math.floor((r - 1) / 26)) letters = String.fromCharCode(65 + ((r - 1) % 26)) + letters;
  return `${letters}${column + 1}`;
}

function compareIds(a: string, b: string): number {
  const na = /:(\d+)$/.exec(a)?.[1];
  const nb = /:(\d+)$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined) {
    const d = BigInt(na) - BigInt(nb);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A project, dataset, screen or plate, with the containers it sits in. */
interface ContainerAvus {
  readonly type: ScopeType;
  readonly container: { readonly id: string; readonly name: string | undefined; readonly description: string | undefined; readonly annotationRefs: readonly string[] };
  readonly parents: readonly (readonly [ScopeType, string])[];
}

/**
 * Which OME-XML image of a file describes which transfer.xml image: same count → by position
 * (transfer images in ascending id order, the order OMERO imported the series); otherwise by
 * equal Name; otherwise not at all.
 */
export function pairOmeTiffImages(model: TransferModel, omeTiff: ReadonlyMap<string, OmeXmlMetadata>): Map<string, OmeXmlImage> {
  const byPath = new Map<string, Image[]>();
  for (const image of model.images) {
    if (image.path?.kind !== 'file') continue;
    const list = byPath.get(image.path.target) ?? [];
    list.push(image);
    byPath.set(image.path.target, list);
  }
  const pairs = new Map<string, OmeXmlImage>();
  for (const [path, images] of byPath) {
    const metadata = omeTiff.get(path);
    if (!metadata || metadata.binaryOnly || metadata.images.length === 0) continue;
    const sorted = [...images].sort((a, b) => compareIds(a.id, b.id));
    if (sorted.length === metadata.images.length) {
      sorted.forEach((image, i) => {
        const ome = metadata.images[i];
        if (ome) pairs.set(image.id, ome);
      });
      continue;
    }
    const unused = [...metadata.images];
    for (const image of sorted) {
      const at = unused.findIndex((o) => o.name !== undefined && o.name === image.name);
      const ome = at === -1 ? undefined : unused.splice(at, 1)[0];
      if (ome) pairs.set(image.id, ome);
    }
  }
  return pairs;
}

export function mapTransferToAvus(model: TransferModel, options: AvuMappingOptions = {}): AvuTarget[] {
  const limits: AvuLimits = { ...IRODS_AVU_LIMITS, ...options.limits };
  const targets = new Map<string, TargetAvus>();
  const target = (path: string, kind: AvuTarget['kind']): TargetAvus => {
    let t = targets.get(path);
    if (!t) {
      t = new TargetAvus(path, kind, limits);
      targets.set(path, t);
    }
    return t;
  };
  const { byId } = model;
  const mapAttributes = new Map<string, string | null>();
  /** `omero.map.<key>`, or null when the key needs the omero.map_key/omero.map_value pair. */
  const mapAttribute = (key: string): string | null => {
    let attribute = mapAttributes.get(key);
    if (attribute === undefined) {
      const plain = key !== '' && !CONTROL.test(key) && key.trim() === key && utf8Bytes(MAP_KEY_PREFIX + key) <= limits.maxAttributeBytes;
      attribute = plain ? MAP_KEY_PREFIX + key : null;
      mapAttributes.set(key, attribute);
    }
    return attribute;
  };
  /**
   * An object's annotations, in the order of its AnnotationRefs (each once: the model has
   * removed repeated refs); `subject` is its scope token. Their AVUs are unique by their units,
   * so no duplicate check per AVU — except for wells, whose annotations come once per image of
   * the well and are checked per annotation (`shared`).
   */
  const annotationAvus = (t: TargetAvus, subject: string, refs: readonly string[], shared = false): void => {
    for (const ref of refs) {
      const a = byId.annotations.get(ref);
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
            const attribute = mapAttribute(entry.key);
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
  };

  // --- The root collection: summary, provenance, containers ------------------------------
  const root = target('', 'collection');
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
  const provenanceFields = [
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
  for (const [name, read] of provenanceFields) {
    // Distinct values, in order of first appearance (one per image: normally all equal).
    const values = new Set<string>();
    for (const p of model.provenance) {
      const v = read(p);
      if (v !== undefined) values.add(v);
    }
    for (const v of values) root.add(`omero.transfer.${name}`, v, '');
  }
  // Containers on the root collection: id, name and description, the parents they belong to,
  // and their annotations, each scoped by its units.
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
    annotationAvus(root, own, container.annotationRefs);
  }

  // --- Images, on their file or fileset directory ---------------------------------------------
  const omePairs = options.omeTiff ? pairOmeTiffImages(model, options.omeTiff) : new Map<string, OmeXmlImage>();
  for (const image of model.images) {
    const path = image.path?.target ?? '';
    const t = target(path, path === '' || image.path?.kind === 'directory' ? 'collection' : 'data_object');
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
    for (const datasetId of image.datasetIds) {
      const dataset = byId.datasets.get(datasetId);
      const ds = localId('dataset', datasetId);
      t.add('omero.dataset.id', ds, own);
      t.add('omero.dataset.name', dataset?.name, `${own} dataset:${ds}`);
      for (const projectId of dataset?.projectIds ?? []) {
        const p = localId('project', projectId);
        t.add('omero.project.id', p, `dataset:${ds}`);
        t.add('omero.project.name', byId.projects.get(projectId)?.name, `dataset:${ds} project:${p}`);
      }
    }
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
      t.add('omero.plate.id', pl, w);
      t.add('omero.plate.name', plate?.name, `${w} plate:${pl}`);
      for (const screenId of plate?.screenIds ?? []) {
        const sc = localId('screen', screenId);
        t.add('omero.screen.id', sc, `plate:${pl}`);
        t.add('omero.screen.name', byId.screens.get(screenId)?.name, `plate:${pl} screen:${sc}`);
      }
    }
    annotationAvus(t, own, image.annotationRefs);
    for (const membership of image.wells) {
      annotationAvus(t, `well:${localId('well', membership.wellId)}`, byId.wells.get(membership.wellId)?.annotationRefs ?? [], true);
    }
    t.put('omero.roi.count', String(image.roiRefs.length), own);
    const shapes = image.roiShapes;
    for (const type of SHAPE_TYPES) {
      const n = shapes[type];
      if (n > 0) t.put(`omero.roi.shapes.${type}`, String(n), own);
    }
    const ome = omePairs.get(image.id);
    if (ome) omeTiffAvus(t, own, ome);
  }

  // --- Attachments and figures ----------------------------------------------------------------
  const attachedTo = new Map<string, { type: ScopeType; id: string; name: string | undefined }[]>();
  for (const a of model.annotations) if (a.kind === 'file' && a.path) attachedTo.set(a.id, []);
  const noteLinks = (type: ScopeType, id: string, name: string | undefined, refs: readonly string[]): void => {
    if (attachedTo.size === 0) return;
    for (const ref of refs) {
      const list = attachedTo.get(ref);
      if (!list) continue;
      list.push({ type, id: localId(type, id), name });
    }
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
    const t = target(a.path.target, 'data_object');
    const id = localId('annotation', a.id);
    const own = `annotation:${id}`;
    t.add('omero.annotation.id', id, own);
    t.add('omero.annotation.namespace', a.namespace, own);
    t.add('omero.annotation.description', a.description, own);
    t.add('omero.file.name', a.fileName, own);
    t.add('omero.file.size', a.size, own);
    for (const link of attachedTo.get(a.id) ?? []) {
      t.add(`omero.${link.type}.id`, link.id, own);
      t.add(`omero.${link.type}.name`, link.name, `${own} ${link.type}:${link.id}`);
    }
  }

  return [...targets.values()]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((t) => ({ path: t.path, kind: t.kind, avus: t.list() }));
}

/** Unit symbols may hold a space (`reference frame`); escaped as formatUnits does. */
const unitToken = (unit: string): string => `unit:${unit.replace(/%/g, '%25').replace(/ /g, '%20')}`;

function omeTiffAvus(t: TargetAvus, own: string, ome: OmeXmlImage): void {
  for (const channel of ome.channels) {
    const head = `${own} channel:${channel.index}`;
    t.add('omero.channel.name', channel.name, head);
    t.add('omero.channel.color', channel.color === undefined ? undefined : formatOmeColor(channel.color), head);
  }
  for (const [axis, size] of [
    ['x', ome.physicalSizeX],
    ['y', ome.physicalSizeY],
    ['z', ome.physicalSizeZ],
  ] as const) {
    if (size) t.add(`omero.pixels.physical_size_${axis}`, size.value, `${own} ${unitToken(size.unit)}`);
  }
  t.add('omero.image.acquisition_date', ome.acquisitionDate, own);
  t.add('omero.microscope.manufacturer', ome.microscope?.manufacturer, own);
  t.add('omero.microscope.model', ome.microscope?.model, own);
  t.add('omero.microscope.type', ome.microscope?.type, own);
  t.add('omero.objective.manufacturer', ome.objective?.manufacturer, own);
  t.add('omero.objective.model', ome.objective?.model, own);
  t.add('omero.objective.nominal_magnification', ome.objective?.nominalMagnification, own);
  t.add('omero.objective.lens_na', ome.objective?.lensNA, own);
  t.add('omero.objective.immersion', ome.objective?.immersion, own);
  t.add('omero.objective.correction', ome.objective?.correction, own);
}
