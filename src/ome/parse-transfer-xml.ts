import type { X2jOptions } from 'fast-xml-parser';
import { classifyPath, normaliseArchivePath } from './archive-path.js';
import { packingTimestampToIso } from './packing-timestamp.js';
import { TransferXmlError } from './transfer-xml-error.js';
import type {
  Annotation,
  Dataset,
  FileAnnotation,
  TransferPathAnnotation,
  Image,
  MapEntry,
  Pixels,
  Plate,
  Project,
  Provenance,
  Roi,
  Screen,
  ServerPath,
  ShapeType,
  TransferModel,
  Well,
  WellMembership,
  WellSample,
} from './transfer-model.js';
import { decodeXmlInput, DEFAULT_MAX_XML_DEPTH, parseSafeXml } from './safe-xml-parse.js';
import { createOmeXmlParserOptions } from './xml-parser-options.js';
import { locateElement } from './xml-well-formedness.js';
import { attribute, childText, children, nonEmpty, textOf, type XmlNode } from './xml-node.js';

export interface ParseTransferXmlOptions {
  /** Refuse documents larger than this many bytes (UTF-8); the agent passes `config.limits.maxXmlBytes`. */
  readonly maxBytes: number;
  /** Deepest element nesting accepted (root = 1). Default 64; pack writes at most 6. */
  readonly maxDepth?: number;
}

export const RATING_NAMESPACE = 'openmicroscopy.org/omero/insight/rating';
export const TRANSFER_NAMESPACE = 'openmicroscopy.org/cli/transfer';

/** ROI contents stay raw text: shapes are counted, never parsed (see xml-parser-options.ts). */
export const TRANSFER_XML_RAW_ELEMENTS = ['OME.ROI'] as const;

/**
 * The fast-xml-parser options parseTransferXml uses, for a benchmark to time a bare parse with
 * the very same options.
 */
export function transferXmlParserOptions(maxDepth = DEFAULT_MAX_XML_DEPTH): X2jOptions {
  return createOmeXmlParserOptions({ maxDepth, rawElements: TRANSFER_XML_RAW_ELEMENTS });
}

/**
 * transfer.xml → TransferModel. Throws TransferXmlError (with line, column and element path)
 * for anything unsafe, malformed, or breaking the references the mapping relies on. Elements
 * it does not know are ignored.
 */
export function parseTransferXml(input: string | Uint8Array, options: ParseTransferXmlOptions): TransferModel {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  const xml = decodeXmlInput(input, options.maxBytes, 'transfer.xml');
  const doc = parseSafeXml(xml, transferXmlParserOptions(maxDepth), maxDepth);
  try {
    return buildModel(doc);
  } catch (error) {
    if (error instanceof TransferXmlError && error.path !== undefined && error.line === undefined) {
      throw error.withPosition(locateElement(xml, parseElementPath(error.path), { maxDepth }));
    }
    throw error;
  }
}

function parseElementPath(path: string): { name: string; position: number }[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((step) => {
      const m = /^(.*)\[(\d+)\]$/.exec(step);
      return m ? { name: m[1] ?? '', position: Number(m[2]) } : { name: step, position: 1 };
    });
}

const SHAPE_NAMES: readonly (readonly [string, ShapeType])[] = [
  ['Point', 'point'],
  ['Line', 'line'],
  ['Rectangle', 'rectangle'],
  ['Ellipse', 'ellipse'],
  ['Polygon', 'polygon'],
  ['Polyline', 'polyline'],
  ['Label', 'label'],
  ['Mask', 'mask'],
];

const isNameChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x5f || c === 0x2d || c === 0x2e || c > 0x7f;

/**
 * Counts the shape elements in a ROI's raw contents (already proven well-formed by the scan):
 * every start tag whose local name is a shape. A hand loop, not a regex: it runs over 10^5 ROIs
 * and allocates nothing.
 */
function countShapes(raw: string, shapes: Record<ShapeType, number>): number {
  let count = 0;
  for (let i = raw.indexOf('<'); i !== -1; i = raw.indexOf('<', i + 1)) {
    const first = raw.charCodeAt(i + 1);
    if (first === 0x2f || first === 0x21 || first === 0x3f) continue; // </, <!, <?
    let end = i + 1;
    let start = end;
    while (end < raw.length && isNameChar(raw.charCodeAt(end))) {
      if (raw.charCodeAt(end) === 0x3a) start = end + 1; // a prefix: keep the local name
      end++;
    }
    const length = end - start;
    for (const [name, type] of SHAPE_NAMES) {
      if (name.length === length && raw.startsWith(name, start)) {
        shapes[type]++;
        count++;
        break;
      }
    }
  }
  return count;
}
const OME_ID = /^[A-Za-z]+:\S+$/;
const NEGATIVE_LOCAL_ID = /:-\d+$/;

const ANNOTATION_ELEMENTS = [
  'TagAnnotation',
  'CommentAnnotation',
  'TimestampAnnotation',
  'LongAnnotation',
  'DoubleAnnotation',
  'BooleanAnnotation',
  'TermAnnotation',
  'MapAnnotation',
  'FileAnnotation',
  'XMLAnnotation',
];

const SCALAR_ANNOTATIONS = [
  ['TagAnnotation', 'tag'],
  ['CommentAnnotation', 'comment'],
  ['TimestampAnnotation', 'timestamp'],
  ['LongAnnotation', 'long'],
  ['DoubleAnnotation', 'double'],
  ['BooleanAnnotation', 'boolean'],
  ['TermAnnotation', 'term'],
] as const;

function fail(code: TransferXmlError['code'], message: string, path: string): never {
  throw new TransferXmlError({ code, message, path });
}

const stepPath = (parentPath: string, name: string, index: number): string => `${parentPath}/${name}[${index + 1}]`;

/**
 * The element's ID. Its path is given as parent + name + index and only built for an error:
 * a large transfer.xml has ~10^5 refs and ROIs.
 */
function requireId(node: XmlNode, parentPath: string, name: string, index: number, attributeName = 'ID'): string {
  const id = attribute(node, attributeName);
  if (id === undefined || id === '') fail('missing_id', `${attributeName} is required`, stepPath(parentPath, name, index));
  if (/\s/.test(id)) fail('invalid_id', `${attributeName} ${JSON.stringify(id)} contains white space`, stepPath(parentPath, name, index));
  return id;
}

/** The IDs of the `name` children (AnnotationRef, ImageRef...), each checked against `known` when given. */
function refIds(node: XmlNode, name: string, parentPath: string, known?: ReadonlyMap<string, unknown>, kind?: string): string[] {
  const refs = children(node, name);
  const ids = new Array<string>(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const id = requireId(refs[i] ?? {}, parentPath, name, i);
    if (known && !known.has(id)) fail('dangling_ref', `no ${kind ?? 'element'} with ID ${id}`, stepPath(parentPath, name, i));
    ids[i] = id;
  }
  return ids;
}

function integer(node: XmlNode, name: string, path: string, min: number, required: boolean): number | undefined {
  const raw = attribute(node, name);
  if (raw === undefined) {
    if (required) fail('invalid_value', `${name} is required`, path);
    return undefined;
  }
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) fail('invalid_value', `${name}=${JSON.stringify(raw)} is not an integer >= ${min}`, path);
  return n;
}

function addUnique<T>(map: Map<string, T>, id: string, value: T, kind: string, path: () => string): void {
  // One hash operation, not has() then set(): this runs for every ROI and annotation.
  const before = map.size;
  const previous = map.get(id);
  map.set(id, value);
  if (map.size === before) {
    map.set(id, previous as T);
    fail('duplicate_id', `${kind} ${id} appears twice`, path());
  }
}

/** Refs in order, each once (a repeated ref adds nothing). */
function unique(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  const set = new Set(ids);
  return set.size === ids.length ? ids : [...set];
}

function provenanceFrom(
  read: (key: string) => string | undefined,
  annotationId: string,
  namespace: string | undefined,
  legacy: boolean,
): Provenance {
  const packingTimestampRaw = nonEmpty(read('packing_timestamp'));
  return {
    annotationId,
    namespace,
    ownerId: undefined,
    originImageId: nonEmpty(read('origin_image_id')),
    originPlateId: nonEmpty(read('origin_plate_id')),
    packingTimestampRaw,
    packingTimestamp: packingTimestampRaw === undefined ? undefined : packingTimestampToIso(packingTimestampRaw),
    software: nonEmpty(read('software')),
    version: nonEmpty(read('version')),
    originHostname: nonEmpty(read('origin_hostname')),
    md5: nonEmpty(read('md5')),
    originalUser: nonEmpty(read('original_user')),
    originalGroup: nonEmpty(read('original_group')),
    databaseId: nonEmpty(read('database_id')),
    legacy,
  };
}

const noShapes = (): Record<ShapeType, number> => ({ point: 0, line: 0, rectangle: 0, ellipse: 0, polygon: 0, polyline: 0, label: 0, mask: 0 });

/** What an object's AnnotationRefs resolve to, found in one pass. */
interface LinkedAnnotations {
  readonly refs: string[];
  readonly path: TransferPathAnnotation | undefined;
  readonly provenance: Provenance | undefined;
}

function buildModel(doc: unknown): TransferModel {
  const top = doc !== null && typeof doc === 'object' ? (doc as XmlNode) : {};
  const rootName = Object.keys(top)[0];
  const root = children(top, 'OME')[0];
  if (root === undefined) {
    throw new TransferXmlError({ code: 'not_ome', message: `the root element is ${rootName ?? 'missing'}, not OME`, line: 1, column: 1 });
  }
  const R = '/OME';

  // --- Annotations first: everything else links to them. ---------------------------------
  const annotations = new Map<string, Annotation>();
  /**
   * Where an annotation is, for an error message: searched for only then (a large transfer.xml
   * has ~10^5 annotations; keeping a path for each would cost on every parse).
   */
  const annotationPath = (id: string): string => {
    if (sa) {
      for (const element of ANNOTATION_ELEMENTS) {
        const i = children(sa, element).findIndex((n) => attribute(n, 'ID') === id);
        if (i !== -1) return stepPath(SA, element, i);
      }
    }
    return SA;
  };
  /**
   * Which of two path annotations upstream's get_server_path would take: the first in document
   * order, XMLAnnotations before legacy comments. Only asked when an object links two (rare), so
   * the order is indexed on first need.
   */
  let pathOrder: Map<string, number> | undefined;
  const earlierPath = (a: TransferPathAnnotation, b: TransferPathAnnotation): TransferPathAnnotation => {
    if (!pathOrder) {
      pathOrder = new Map();
      let n = 0;
      for (const element of ['XMLAnnotation', 'CommentAnnotation']) for (const node of children(sa ?? {}, element)) pathOrder.set(attribute(node, 'ID') ?? '', n++);
    }
    return (pathOrder.get(b.id) ?? 0) < (pathOrder.get(a.id) ?? 0) ? b : a;
  };
  const sa = children(root, 'StructuredAnnotations')[0];
  const SA = `${R}/StructuredAnnotations[1]`;
  const add = (a: Annotation, path: string): void => {
    addUnique(annotations, a.id, a, 'annotation', () => path);
  };
  const safePath = (raw: string, path: string): string => {
    const target = normaliseArchivePath(raw);
    if (target === undefined) fail('unsafe_path', `path ${JSON.stringify(raw)} leaves the archive`, path);
    return target;
  };
  let legacyPaths = false;

  if (sa) {
    for (const [element, kind] of SCALAR_ANNOTATIONS) {
      const nodes = children(sa, element);
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i] ?? {};
        const path = stepPath(SA, element, i);
        const id = requireId(node, SA, element, i);
        const namespace = nonEmpty(attribute(node, 'Namespace'));
        const description = nonEmpty(childText(node, 'Description'));
        const annotationRefs = refIds(node, 'AnnotationRef', path);
        const value = childText(node, 'Value') ?? '';
        if (kind === 'comment' && NEGATIVE_LOCAL_ID.test(id) && namespace !== undefined && OME_ID.test(namespace)) {
          // Pre-1.0 packs: the path of an image/plate/attachment/figure, Namespace = its owner.
          legacyPaths = true;
          safePath(value, path);
          add({ kind: 'transfer_path', id, namespace, description, annotationRefs, path: value, legacy: true }, path);
        } else if (kind === 'long') {
          if (!/^-?\d+$/.test(value)) fail('invalid_value', `LongAnnotation value ${JSON.stringify(value)} is not an integer`, path);
          add({ kind, id, namespace, description, annotationRefs, value, rating: namespace === RATING_NAMESPACE }, path);
        } else {
          add({ kind, id, namespace, description, annotationRefs, value }, path);
        }
      }
    }
    const maps = children(sa, 'MapAnnotation');
    for (let i = 0; i < maps.length; i++) {
      const node = maps[i] ?? {};
      const path = stepPath(SA, 'MapAnnotation', i);
      const id = requireId(node, SA, 'MapAnnotation', i);
      const namespace = nonEmpty(attribute(node, 'Namespace'));
      const description = nonEmpty(childText(node, 'Description'));
      const annotationRefs = refIds(node, 'AnnotationRef', path);
      const entries: MapEntry[] = [];
      for (const value of children(node, 'Value')) {
        for (const m of children(value, 'M')) entries.push({ key: attribute(m, 'K') ?? '', value: textOf(m) });
      }
      if (NEGATIVE_LOCAL_ID.test(id) && namespace === TRANSFER_NAMESPACE) {
        // Pre-1.0 provenance: a MapAnnotation with the CLITransferMetadata keys.
        const read = (key: string): string | undefined => entries.find((e) => e.key === key)?.value;
        add({ kind: 'transfer_provenance', id, namespace, description, annotationRefs, provenance: provenanceFrom(read, id, namespace, true) }, path);
      } else {
        add({ kind: 'map', id, namespace, description, annotationRefs, entries }, path);
      }
    }
    const files = children(sa, 'FileAnnotation');
    for (let i = 0; i < files.length; i++) {
      const node = files[i] ?? {};
      const path = stepPath(SA, 'FileAnnotation', i);
      const binary = children(node, 'BinaryFile')[0];
      add(
        {
          kind: 'file',
          id: requireId(node, SA, 'FileAnnotation', i),
          namespace: nonEmpty(attribute(node, 'Namespace')),
          description: nonEmpty(childText(node, 'Description')),
          annotationRefs: refIds(node, 'AnnotationRef', path),
          fileName: binary ? nonEmpty(attribute(binary, 'FileName')) : undefined,
          size: binary ? nonEmpty(attribute(binary, 'Size')) : undefined,
          mimeType: binary ? nonEmpty(attribute(binary, 'MIMEType')) : undefined,
          path: undefined,
        },
        path,
      );
    }
    const xmls = children(sa, 'XMLAnnotation');
    for (let i = 0; i < xmls.length; i++) {
      const node = xmls[i] ?? {};
      const path = stepPath(SA, 'XMLAnnotation', i);
      const id = requireId(node, SA, 'XMLAnnotation', i);
      const namespace = nonEmpty(attribute(node, 'Namespace'));
      const description = nonEmpty(childText(node, 'Description'));
      const annotationRefs = refIds(node, 'AnnotationRef', path);
      const value = children(node, 'Value')[0];
      const serverPath = value && children(value, 'CLITransferServerPath')[0];
      const metadata = value && children(value, 'CLITransferMetadata')[0];
      if (serverPath) {
        const raw = childText(serverPath, 'Path') ?? '';
        safePath(raw, path);
        add({ kind: 'transfer_path', id, namespace, description, annotationRefs, path: raw, legacy: false }, path);
      } else if (metadata) {
        const provenance = provenanceFrom((key) => childText(metadata, key), id, namespace, false);
        add({ kind: 'transfer_provenance', id, namespace, description, annotationRefs, provenance }, path);
      } else {
        add({ kind: 'xml', id, namespace, description, annotationRefs }, path);
      }
    }
  }

  for (const a of annotations.values()) {
    // Links inside annotations (a FileAnnotation → its path annotation) must resolve too.
    for (const ref of a.annotationRefs) if (!annotations.has(ref)) fail('dangling_ref', `no annotation with ID ${ref}`, annotationPath(a.id));
  }

  /**
   * Resolves an object's AnnotationRefs and picks its path and provenance annotations. The path
   * is the first in document order among those referenced, as upstream's get_server_path does.
   */
  const linkAnnotations = (node: XmlNode, path: string): LinkedAnnotations => {
    const nodes = children(node, 'AnnotationRef');
    const refs = new Array<string>(nodes.length);
    let pathAnnotation: TransferPathAnnotation | undefined;
    let provenance: Provenance | undefined;
    for (let i = 0; i < nodes.length; i++) {
      const id = requireId(nodes[i] ?? {}, path, 'AnnotationRef', i);
      const a = annotations.get(id);
      if (a === undefined) fail('dangling_ref', `no annotation with ID ${id}`, stepPath(path, 'AnnotationRef', i));
      refs[i] = id;
      if (a.kind === 'transfer_path') {
        pathAnnotation = pathAnnotation ? earlierPath(pathAnnotation, a) : a;
      } else if (a.kind === 'transfer_provenance') {
        provenance ??= a.provenance;
      }
    }
    return { refs: unique(refs), path: pathAnnotation, provenance };
  };
  const serverPathOf = (a: TransferPathAnnotation | undefined, owner: 'image' | 'file', fileNamespace?: string): ServerPath | undefined => {
    if (!a) return undefined;
    const at = (): string => annotationPath(a.id);
    const target = normaliseArchivePath(a.path);
    if (target === undefined) fail('unsafe_path', `path ${JSON.stringify(a.path)} leaves the archive`, at());
    const classified = classifyPath(a.path, target, owner, a.id, a.legacy, fileNamespace);
    if (!classified) fail('invalid_value', `path ${JSON.stringify(a.path)} names no file`, at());
    return classified;
  };

  // FileAnnotations get their archive path from the path annotation they link.
  for (const [id, a] of annotations) {
    if (a.kind !== 'file') continue;
    let pathAnnotation: TransferPathAnnotation | undefined;
    for (const ref of a.annotationRefs) {
      const linked = annotations.get(ref);
      if (linked?.kind === 'transfer_path') pathAnnotation = pathAnnotation ? earlierPath(pathAnnotation, linked) : linked;
    }
    const path = serverPathOf(pathAnnotation, 'file', a.namespace);
    if (path) annotations.set(id, { ...a, path } satisfies FileAnnotation);
  }

  // --- ROIs ---------------------------------------------------------------------------------
  const rois = new Map<string, Roi>();
  const roiNodes = children(root, 'ROI');
  for (let i = 0; i < roiNodes.length; i++) {
    const node = roiNodes[i] ?? {};
    const id = requireId(node, R, 'ROI', i);
    // Every key present, in one order: all ROIs share one object shape (cheap to sum over 10^5).
    const shapes = noShapes();
    const shapeCount = countShapes(textOf(node), shapes);
    addUnique(rois, id, { id, name: nonEmpty(attribute(node, 'Name')), shapes, shapeCount }, 'ROI', () => stepPath(R, 'ROI', i));
  }

  // --- Images -------------------------------------------------------------------------------
  // Built final, with the reverse-link arrays filled in by the containers below.
  interface ImageDraft extends Image {
    readonly datasetIds: string[];
    readonly wells: WellMembership[];
  }
  const images = new Map<string, ImageDraft>();
  const imageNodes = children(root, 'Image');
  for (let i = 0; i < imageNodes.length; i++) {
    const node = imageNodes[i] ?? {};
    const path = stepPath(R, 'Image', i);
    const id = requireId(node, R, 'Image', i);
    const pixelsNode = children(node, 'Pixels')[0];
    const pp = `${path}/Pixels[1]`;
    const pixels: Pixels | undefined = pixelsNode && {
      id: nonEmpty(attribute(pixelsNode, 'ID')),
      type: nonEmpty(attribute(pixelsNode, 'Type')),
      dimensionOrder: nonEmpty(attribute(pixelsNode, 'DimensionOrder')),
      sizeX: integer(pixelsNode, 'SizeX', pp, 1, false),
      sizeY: integer(pixelsNode, 'SizeY', pp, 1, false),
      sizeZ: integer(pixelsNode, 'SizeZ', pp, 1, false),
      sizeC: integer(pixelsNode, 'SizeC', pp, 1, false),
      sizeT: integer(pixelsNode, 'SizeT', pp, 1, false),
    };
    const linked = linkAnnotations(node, path);
    // ROIs are resolved and their shapes summed here, in the one lookup each ref needs.
    const roiNodesOfImage = children(node, 'ROIRef');
    const roiRefs: string[] = [];
    const seenRois = new Set<string>();
    const roiShapes = noShapes();
    for (let r = 0; r < roiNodesOfImage.length; r++) {
      const roiId = requireId(roiNodesOfImage[r] ?? {}, path, 'ROIRef', r);
      const roi = rois.get(roiId);
      if (roi === undefined) fail('dangling_ref', `no ROI with ID ${roiId}`, stepPath(path, 'ROIRef', r));
      if (seenRois.has(roiId)) continue;
      seenRois.add(roiId);
      roiRefs.push(roiId);
      const s = roi.shapes;
      roiShapes.point += s.point;
      roiShapes.line += s.line;
      roiShapes.rectangle += s.rectangle;
      roiShapes.ellipse += s.ellipse;
      roiShapes.polygon += s.polygon;
      roiShapes.polyline += s.polyline;
      roiShapes.label += s.label;
      roiShapes.mask += s.mask;
    }
    const image = {
      id,
      name: nonEmpty(attribute(node, 'Name')),
      description: nonEmpty(childText(node, 'Description')),
      pixels,
      annotationRefs: linked.refs,
      roiRefs,
      roiShapes,
      path: serverPathOf(linked.path, 'image'),
      provenance: linked.provenance && { ...linked.provenance, ownerId: id },
      datasetIds: [],
      wells: [],
    };
    addUnique(images, id, image, 'Image', () => path);
  }

  // --- Containers ---------------------------------------------------------------------------
  const datasetDrafts = new Map<string, { dataset: Omit<Dataset, 'projectIds'>; projectIds: string[] }>();
  children(root, 'Dataset').forEach((node, i) => {
    const path = stepPath(R, 'Dataset', i);
    const id = requireId(node, R, 'Dataset', i);
    const imageRefs = unique(refIds(node, 'ImageRef', path, images, 'Image'));
    for (const imageId of imageRefs) images.get(imageId)?.datasetIds.push(id);
    const dataset = {
      id,
      name: nonEmpty(attribute(node, 'Name')),
      description: nonEmpty(childText(node, 'Description')),
      imageRefs,
      annotationRefs: linkAnnotations(node, path).refs,
    };
    addUnique(datasetDrafts, id, { dataset, projectIds: [] }, 'Dataset', () => path);
  });

  const projects = new Map<string, Project>();
  children(root, 'Project').forEach((node, i) => {
    const path = stepPath(R, 'Project', i);
    const id = requireId(node, R, 'Project', i);
    const datasetRefs = unique(refIds(node, 'DatasetRef', path, datasetDrafts, 'Dataset'));
    for (const datasetId of datasetRefs) datasetDrafts.get(datasetId)?.projectIds.push(id);
    const project = { id, name: nonEmpty(attribute(node, 'Name')), description: nonEmpty(childText(node, 'Description')), datasetRefs, annotationRefs: linkAnnotations(node, path).refs };
    addUnique(projects, id, project, 'Project', () => path);
  });

  const wells = new Map<string, Well>();
  const plateDrafts = new Map<string, { plate: Omit<Plate, 'screenIds'>; screenIds: string[] }>();
  children(root, 'Plate').forEach((node, i) => {
    const path = stepPath(R, 'Plate', i);
    const plateId = requireId(node, R, 'Plate', i);
    const plateWells: Well[] = [];
    const wellSampleIds = new Set<string>();
    children(node, 'Well').forEach((wellNode, w) => {
      const wp = stepPath(path, 'Well', w);
      const wellId = requireId(wellNode, path, 'Well', w);
      const samples: WellSample[] = children(wellNode, 'WellSample').map((sampleNode, s) => {
        const sp = stepPath(wp, 'WellSample', s);
        const sampleId = requireId(sampleNode, wp, 'WellSample', s);
        if (wellSampleIds.has(sampleId)) fail('duplicate_id', `WellSample ${sampleId} appears twice`, sp);
        wellSampleIds.add(sampleId);
        const imageRef = refIds(sampleNode, 'ImageRef', sp, images, 'Image')[0];
        if (imageRef !== undefined) images.get(imageRef)?.wells.push({ plateId, wellId, wellSampleId: sampleId });
        return { id: sampleId, index: nonEmpty(attribute(sampleNode, 'Index')), imageRef };
      });
      const well: Well = {
        id: wellId,
        plateId,
        row: integer(wellNode, 'Row', wp, 0, true) ?? 0,
        column: integer(wellNode, 'Column', wp, 0, true) ?? 0,
        samples,
        annotationRefs: linkAnnotations(wellNode, wp).refs,
      };
      addUnique(wells, wellId, well, 'Well', () => wp);
      plateWells.push(well);
    });
    const linked = linkAnnotations(node, path);
    const plate = {
      id: plateId,
      name: nonEmpty(attribute(node, 'Name')),
      description: nonEmpty(childText(node, 'Description')),
      wells: plateWells,
      annotationRefs: linked.refs,
      path: serverPathOf(linked.path, 'image'),
      provenance: linked.provenance && { ...linked.provenance, ownerId: plateId },
    };
    addUnique(plateDrafts, plateId, { plate, screenIds: [] }, 'Plate', () => path);
  });

  const screens = new Map<string, Screen>();
  children(root, 'Screen').forEach((node, i) => {
    const path = stepPath(R, 'Screen', i);
    const id = requireId(node, R, 'Screen', i);
    const plateRefs = unique(refIds(node, 'PlateRef', path, plateDrafts, 'Plate'));
    for (const plateId of plateRefs) plateDrafts.get(plateId)?.screenIds.push(id);
    const screen = { id, name: nonEmpty(attribute(node, 'Name')), description: nonEmpty(childText(node, 'Description')), plateRefs, annotationRefs: linkAnnotations(node, path).refs };
    addUnique(screens, id, screen, 'Screen', () => path);
  });

  // --- Freeze, with reverse links ------------------------------------------------------------
  const imageList: Image[] = [...images.values()];
  const datasetList: Dataset[] = [...datasetDrafts.values()].map((d) => ({ ...d.dataset, projectIds: d.projectIds }));
  const plateList: Plate[] = [...plateDrafts.values()].map((d) => ({ ...d.plate, screenIds: d.screenIds }));

  // A path is a file or a directory, never both (checked over every path the mapping will use).
  const kinds = new Map<string, 'file' | 'directory'>();
  const claim = (p: ServerPath | undefined): void => {
    if (!p) return;
    const seen = kinds.get(p.target);
    if (seen !== undefined && seen !== p.kind) {
      fail('path_conflict', `${JSON.stringify(p.target)} is named both as a file and as a fileset directory`, annotationPath(p.annotationId));
    }
    kinds.set(p.target, p.kind);
  };
  for (const image of imageList) claim(image.path);
  for (const a of annotations.values()) if (a.kind === 'file') claim(a.path);

  const provenance: Provenance[] = [];
  for (const image of imageList) if (image.provenance) provenance.push(image.provenance);
  for (const plate of plateList) if (plate.provenance) provenance.push(plate.provenance);

  return {
    projects: [...projects.values()],
    datasets: datasetList,
    screens: [...screens.values()],
    plates: plateList,
    images: imageList,
    annotations: [...annotations.values()],
    rois: [...rois.values()],
    provenance,
    legacy: legacyPaths,
    byId: {
      projects,
      datasets: new Map(datasetList.map((d) => [d.id, d])),
      screens,
      plates: new Map(plateList.map((p) => [p.id, p])),
      wells: new Map(plateList.flatMap((p) => p.wells.map((w) => [w.id, w] as const))),
      images,
      annotations,
      rois,
    },
  };
}
