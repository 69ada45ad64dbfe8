import { classifyPath, normaliseArchivePath } from './archive-path.js';
import type { Annotation, FileAnnotation, MapEntry, Provenance, ServerPath, TransferPathAnnotation } from './transfer-model.js';
import { addUnique, fail, provenanceFrom, refIds, requireId, ROOT_PATH, stepPath, unique } from './transfer-xml-reading.js';
import { attribute, childText, children, nonEmpty, textOf, type XmlNode } from './xml-node.js';

export const RATING_NAMESPACE = 'openmicroscopy.org/omero/insight/rating';
export const TRANSFER_NAMESPACE = 'openmicroscopy.org/cli/transfer';

const STRUCTURED_PATH = `${ROOT_PATH}/StructuredAnnotations[1]`;
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

/** What an object's AnnotationRefs resolve to, found in one pass. */
export interface LinkedAnnotations {
  readonly refs: string[];
  readonly path: TransferPathAnnotation | undefined;
  readonly provenance: Provenance | undefined;
}

/**
 * The StructuredAnnotations of a transfer.xml, read first because everything else links to
 * them: each annotation by ID, the tool's own path and provenance annotations told apart from
 * the user's, every link inside them checked, and each FileAnnotation given its archive path.
 */
export class TransferAnnotations {
  readonly byId = new Map<string, Annotation>();
  /** Pre-1.0 packs: paths in CommentAnnotations with negative local IDs. */
  legacyPaths = false;
  private readonly structured: XmlNode | undefined;
  /** Document order of path annotations, indexed on first need (see earlierPath). */
  private pathOrder: Map<string, number> | undefined;

  constructor(root: XmlNode) {
    this.structured = children(root, 'StructuredAnnotations')[0];
    if (this.structured) {
      this.readScalars(this.structured);
      this.readMaps(this.structured);
      this.readFiles(this.structured);
      this.readXmlAnnotations(this.structured);
    }
    this.checkInnerLinks();
    this.resolveFilePaths();
  }

  /**
   * Where an annotation is, for an error message: searched for only then (a large transfer.xml
   * has ~10^5 annotations; keeping a path for each would cost on every parse).
   */
  pathOf(id: string): string {
    if (this.structured) {
      for (const element of ANNOTATION_ELEMENTS) {
        const i = children(this.structured, element).findIndex((n) => attribute(n, 'ID') === id);
        if (i !== -1) return stepPath(STRUCTURED_PATH, element, i);
      }
    }
    return STRUCTURED_PATH;
  }

  /**
   * Resolves an object's AnnotationRefs and picks its path and provenance annotations. The path
   * is the first in document order among those referenced, as upstream's get_server_path does.
   */
  link(node: XmlNode, path: string): LinkedAnnotations {
    const nodes = children(node, 'AnnotationRef');
    const refs = new Array<string>(nodes.length);
    let pathAnnotation: TransferPathAnnotation | undefined;
    let provenance: Provenance | undefined;
    for (let i = 0; i < nodes.length; i++) {
      const id = requireId(nodes[i] ?? {}, path, 'AnnotationRef', i);
      const a = this.byId.get(id);
      if (a === undefined) fail('dangling_ref', `no annotation with ID ${id}`, stepPath(path, 'AnnotationRef', i));
      refs[i] = id;
      if (a.kind === 'transfer_path') {
        pathAnnotation = pathAnnotation ? this.earlierPath(pathAnnotation, a) : a;
      } else if (a.kind === 'transfer_provenance') {
        provenance ??= a.provenance;
      }
    }
    return { refs: unique(refs), path: pathAnnotation, provenance };
  }

  /** The archive path a path annotation names, checked and classified (file or fileset directory). */
  serverPathOf(a: TransferPathAnnotation | undefined, owner: 'image' | 'file', fileNamespace?: string): ServerPath | undefined {
    if (!a) return undefined;
    const target = normaliseArchivePath(a.path);
    if (target === undefined) fail('unsafe_path', `path ${JSON.stringify(a.path)} leaves the archive`, this.pathOf(a.id));
    const classified = classifyPath(a.path, target, owner, a.id, a.legacy, fileNamespace);
    if (!classified) fail('invalid_value', `path ${JSON.stringify(a.path)} names no file`, this.pathOf(a.id));
    return classified;
  }

  private add(a: Annotation, path: string): void {
    addUnique(this.byId, a.id, a, 'annotation', () => path);
  }

  private checkedPath(raw: string, path: string): void {
    if (normaliseArchivePath(raw) === undefined) fail('unsafe_path', `path ${JSON.stringify(raw)} leaves the archive`, path);
  }

  // The readers below spell out each annotation's fields: they run for ~10^5 annotations, so
  // no intermediate object or iterator per element.

  private readScalars(structured: XmlNode): void {
    for (const [element, kind] of SCALAR_ANNOTATIONS) {
      const nodes = children(structured, element);
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i] ?? {};
        const path = stepPath(STRUCTURED_PATH, element, i);
        const id = requireId(node, STRUCTURED_PATH, element, i);
        const namespace = nonEmpty(attribute(node, 'Namespace'));
        const description = nonEmpty(childText(node, 'Description'));
        const annotationRefs = refIds(node, 'AnnotationRef', path);
        const value = childText(node, 'Value') ?? '';
        if (kind === 'comment' && NEGATIVE_LOCAL_ID.test(id) && namespace !== undefined && OME_ID.test(namespace)) {
          // Pre-1.0 packs: the path of an image/plate/attachment/figure, Namespace = its owner.
          this.legacyPaths = true;
          this.checkedPath(value, path);
          this.add({ kind: 'transfer_path', id, namespace, description, annotationRefs, path: value, legacy: true }, path);
        } else if (kind === 'long') {
          if (!/^-?\d+$/.test(value)) fail('invalid_value', `LongAnnotation value ${JSON.stringify(value)} is not an integer`, path);
          this.add({ kind, id, namespace, description, annotationRefs, value, rating: namespace === RATING_NAMESPACE }, path);
        } else {
          this.add({ kind, id, namespace, description, annotationRefs, value }, path);
        }
      }
    }
  }

  private readMaps(structured: XmlNode): void {
    const nodes = children(structured, 'MapAnnotation');
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] ?? {};
      const path = stepPath(STRUCTURED_PATH, 'MapAnnotation', i);
      const id = requireId(node, STRUCTURED_PATH, 'MapAnnotation', i);
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
        this.add({ kind: 'transfer_provenance', id, namespace, description, annotationRefs, provenance: provenanceFrom(read, id, namespace, true) }, path);
      } else {
        this.add({ kind: 'map', id, namespace, description, annotationRefs, entries }, path);
      }
    }
  }

  private readFiles(structured: XmlNode): void {
    const nodes = children(structured, 'FileAnnotation');
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] ?? {};
      const path = stepPath(STRUCTURED_PATH, 'FileAnnotation', i);
      const binary = children(node, 'BinaryFile')[0];
      this.add(
        {
          kind: 'file',
          id: requireId(node, STRUCTURED_PATH, 'FileAnnotation', i),
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
  }

  private readXmlAnnotations(structured: XmlNode): void {
    const nodes = children(structured, 'XMLAnnotation');
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] ?? {};
      const path = stepPath(STRUCTURED_PATH, 'XMLAnnotation', i);
      const id = requireId(node, STRUCTURED_PATH, 'XMLAnnotation', i);
      const namespace = nonEmpty(attribute(node, 'Namespace'));
      const description = nonEmpty(childText(node, 'Description'));
      const annotationRefs = refIds(node, 'AnnotationRef', path);
      const value = children(node, 'Value')[0];
      const serverPath = value && children(value, 'CLITransferServerPath')[0];
      const metadata = value && children(value, 'CLITransferMetadata')[0];
      if (serverPath) {
        const raw = childText(serverPath, 'Path') ?? '';
        this.checkedPath(raw, path);
        this.add({ kind: 'transfer_path', id, namespace, description, annotationRefs, path: raw, legacy: false }, path);
      } else if (metadata) {
        const provenance = provenanceFrom((key) => childText(metadata, key), id, namespace, false);
        this.add({ kind: 'transfer_provenance', id, namespace, description, annotationRefs, provenance }, path);
      } else {
        this.add({ kind: 'xml', id, namespace, description, annotationRefs }, path);
      }
    }
  }

  /** Links inside annotations (a FileAnnotation → its path annotation) must resolve too. */
  private checkInnerLinks(): void {
    for (const a of this.byId.values()) {
      for (const ref of a.annotationRefs) if (!this.byId.has(ref)) fail('dangling_ref', `no annotation with ID ${ref}`, this.pathOf(a.id));
    }
  }

  /** FileAnnotations get their archive path from the path annotation they link. */
  private resolveFilePaths(): void {
    for (const [id, a] of this.byId) {
      if (a.kind !== 'file') continue;
      let pathAnnotation: TransferPathAnnotation | undefined;
      for (const ref of a.annotationRefs) {
        const linked = this.byId.get(ref);
        if (linked?.kind === 'transfer_path') pathAnnotation = pathAnnotation ? this.earlierPath(pathAnnotation, linked) : linked;
      }
      const path = this.serverPathOf(pathAnnotation, 'file', a.namespace);
      if (path) this.byId.set(id, { ...a, path } satisfies FileAnnotation);
    }
  }

  /**
   * Which of two path annotations upstream's get_server_path would take: the first in document
   * order, XMLAnnotations before legacy comments. Only asked when an object links two (rare), so
   * the order is indexed on first need.
   */
  private earlierPath(a: TransferPathAnnotation, b: TransferPathAnnotation): TransferPathAnnotation {
    if (!this.pathOrder) {
      this.pathOrder = new Map();
      let n = 0;
      for (const element of ['XMLAnnotation', 'CommentAnnotation']) {
        for (const node of children(this.structured ?? {}, element)) this.pathOrder.set(attribute(node, 'ID') ?? '', n++);
      }
    }
    return (this.pathOrder.get(b.id) ?? 0) < (this.pathOrder.get(a.id) ?? 0) ? b : a;
  }
}
