/**
 * The typed model of a transfer.xml: what `omero transfer pack` wrote, checked, with the links
 * resolved both ways. Ids are OME ids as written (`Image:51`, `Annotation:18350171370993896932`),
 * always strings: tool-made ids exceed 2^53. Optional text that is empty in the XML is undefined.
 */

export interface Pixels {
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly dimensionOrder: string | undefined;
  readonly sizeX: number | undefined;
  readonly sizeY: number | undefined;
  readonly sizeZ: number | undefined;
  readonly sizeC: number | undefined;
  readonly sizeT: number | undefined;
}

/** What an archive-relative path names, as transfer.xml tells it. */
export type FileRole =
  /** The single original file of an image. */
  | 'image'
  /** A multi-file fileset: the path ended in `/mock_folder`; `target` is the directory. */
  | 'fileset'
  /** `pixel_images/<id>.tiff`: an image with no original file, exported as OME-TIFF. */
  | 'pixel_image'
  /** `file_annotations/<annotationId>/<name>`. */
  | 'attachment'
  /** `figures/Figure_<annotationId>.json` (packed with --figure). */
  | 'figure';

export interface ServerPath {
  /** As written in transfer.xml. */
  readonly raw: string;
  /** Archive-relative, normalised (no leading `./`); '' is the archive root. */
  readonly target: string;
  readonly kind: 'file' | 'directory';
  readonly role: FileRole;
  /** The annotation that carried it: an XMLAnnotation, or a pre-1.0 CommentAnnotation. */
  readonly annotationId: string;
  /** True for the pre-1.0 form (CommentAnnotation, negative id, Namespace = owning object). */
  readonly legacy: boolean;
}

/** `CLITransferMetadata` (or the pre-1.0 MapAnnotation with the same keys). */
export interface Provenance {
  readonly annotationId: string;
  readonly namespace: string | undefined;
  /** The Image or Plate that links it. */
  readonly ownerId: string | undefined;
  readonly originImageId: string | undefined;
  readonly originPlateId: string | undefined;
  /** As written: `DD/MM/YYYY, HH:MM:SS`, the packing machine's local time, no zone. */
  readonly packingTimestampRaw: string | undefined;
  /** ISO 8601 local time without offset (`2023-12-19T10:02:04`); undefined if the raw form is not recognised. */
  readonly packingTimestamp: string | undefined;
  readonly software: string | undefined;
  readonly version: string | undefined;
  readonly originHostname: string | undefined;
  /** Literally `TBC` in every pack so far. */
  readonly md5: string | undefined;
  readonly originalUser: string | undefined;
  readonly originalGroup: string | undefined;
  readonly databaseId: string | undefined;
  readonly legacy: boolean;
}

interface AnnotationBase {
  readonly id: string;
  readonly namespace: string | undefined;
  readonly description: string | undefined;
  /** AnnotationRefs inside the annotation (a FileAnnotation links its path annotation so). */
  readonly annotationRefs: readonly string[];
}

export interface MapEntry {
  readonly key: string;
  readonly value: string;
}

export interface TagAnnotation extends AnnotationBase {
  readonly kind: 'tag';
  readonly value: string;
}
export interface CommentAnnotation extends AnnotationBase {
  readonly kind: 'comment';
  readonly value: string;
}
export interface TimestampAnnotation extends AnnotationBase {
  readonly kind: 'timestamp';
  readonly value: string;
}
export interface LongAnnotation extends AnnotationBase {
  readonly kind: 'long';
  /** Decimal integer text (a Long may exceed 2^53). */
  readonly value: string;
  /** Namespace `openmicroscopy.org/omero/insight/rating`. */
  readonly rating: boolean;
}
/** Double, Boolean and Term annotations: pack never writes them; read if a tool did. */
export interface ScalarAnnotation extends AnnotationBase {
  readonly kind: 'double' | 'boolean' | 'term';
  readonly value: string;
}
export interface MapAnnotation extends AnnotationBase {
  readonly kind: 'map';
  /** In document order; keys may repeat. */
  readonly entries: readonly MapEntry[];
}
export interface FileAnnotation extends AnnotationBase {
  readonly kind: 'file';
  readonly fileName: string | undefined;
  /** Bytes, as written. */
  readonly size: string | undefined;
  readonly mimeType: string | undefined;
  /** `file_annotations/<id>/<name>` or `figures/Figure_<id>.json`, from its linked path annotation. */
  readonly path: ServerPath | undefined;
}
/** The transfer tool's own path annotation (XMLAnnotation, or legacy CommentAnnotation). */
export interface TransferPathAnnotation extends AnnotationBase {
  readonly kind: 'transfer_path';
  readonly path: string;
  readonly legacy: boolean;
}
/** The transfer tool's provenance (XMLAnnotation, or legacy MapAnnotation). */
export interface TransferProvenanceAnnotation extends AnnotationBase {
  readonly kind: 'transfer_provenance';
  readonly provenance: Provenance;
}
/** Any other XMLAnnotation (kept, not mapped). */
export interface XmlAnnotation extends AnnotationBase {
  readonly kind: 'xml';
}

export type Annotation =
  | TagAnnotation
  | CommentAnnotation
  | TimestampAnnotation
  | LongAnnotation
  | ScalarAnnotation
  | MapAnnotation
  | FileAnnotation
  | TransferPathAnnotation
  | TransferProvenanceAnnotation
  | XmlAnnotation;

export type ShapeType = 'point' | 'line' | 'rectangle' | 'ellipse' | 'polygon' | 'polyline' | 'label' | 'mask';

export interface Roi {
  readonly id: string;
  readonly name: string | undefined;
  /** Shapes by type, every type present (0 when none); geometry stays in the XML (ROI contents are not parsed, only counted). */
  readonly shapes: Readonly<Record<ShapeType, number>>;
  readonly shapeCount: number;
}

export interface WellMembership {
  readonly plateId: string;
  readonly wellId: string;
  readonly wellSampleId: string;
}

export interface Image {
  readonly id: string;
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly pixels: Pixels | undefined;
  /** Resolved AnnotationRefs, each once, in document order (true of every container's too). */
  readonly annotationRefs: readonly string[];
  /** Each once, in document order. */
  readonly roiRefs: readonly string[];
  /** Shapes of those ROIs by type (all types present, 0 when none). */
  readonly roiShapes: Readonly<Record<ShapeType, number>>;
  /** Where its file (or fileset directory) is in the archive; undefined when pack wrote none. */
  readonly path: ServerPath | undefined;
  readonly provenance: Provenance | undefined;
  /** Datasets listing it (ImageRef), in document order. */
  readonly datasetIds: readonly string[];
  /** Wells showing it (WellSample ImageRef), in document order. */
  readonly wells: readonly WellMembership[];
}

/** What Project, Dataset, Screen and Plate share. */
export interface NamedContainer {
  readonly id: string;
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly annotationRefs: readonly string[];
}

export interface Project extends NamedContainer {
  readonly datasetRefs: readonly string[];
}

export interface Dataset extends NamedContainer {
  readonly imageRefs: readonly string[];
  /** Projects listing it (DatasetRef). */
  readonly projectIds: readonly string[];
}

export interface Screen extends NamedContainer {
  readonly plateRefs: readonly string[];
}

export interface WellSample {
  readonly id: string;
  /** pack writes the source image id here (not a field index). */
  readonly index: string | undefined;
  readonly imageRef: string | undefined;
}

export interface Well {
  readonly id: string;
  readonly plateId: string;
  /** 0-based. */
  readonly row: number;
  /** 0-based. */
  readonly column: number;
  readonly samples: readonly WellSample[];
  readonly annotationRefs: readonly string[];
}

export interface Plate extends NamedContainer {
  readonly wells: readonly Well[];
  /** pack repeats the last image's path on the plate. */
  readonly path: ServerPath | undefined;
  readonly provenance: Provenance | undefined;
  /** Screens listing it (PlateRef). */
  readonly screenIds: readonly string[];
}

export interface TransferModel {
  readonly projects: readonly Project[];
  readonly datasets: readonly Dataset[];
  readonly screens: readonly Screen[];
  readonly plates: readonly Plate[];
  readonly images: readonly Image[];
  /** By element type (Tag, Map, Comment, Long, Timestamp, File, XML, ...), document order within a type. */
  readonly annotations: readonly Annotation[];
  readonly rois: readonly Roi[];
  /** Every provenance record (one per Image and per Plate in a 1.x pack). */
  readonly provenance: readonly Provenance[];
  /** True when paths came from the pre-1.0 CommentAnnotation form. */
  readonly legacy: boolean;
  readonly byId: {
    readonly projects: ReadonlyMap<string, Project>;
    readonly datasets: ReadonlyMap<string, Dataset>;
    readonly screens: ReadonlyMap<string, Screen>;
    readonly plates: ReadonlyMap<string, Plate>;
    readonly wells: ReadonlyMap<string, Well>;
    readonly images: ReadonlyMap<string, Image>;
    readonly annotations: ReadonlyMap<string, Annotation>;
    readonly rois: ReadonlyMap<string, Roi>;
  };
}

/** Annotations the transfer tool writes for itself; they never count as users' annotations. */
export function isTransferToolAnnotation(a: Annotation): boolean {
  return a.kind === 'transfer_path' || a.kind === 'transfer_provenance';
}
