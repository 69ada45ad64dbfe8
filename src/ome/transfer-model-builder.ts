import { TransferAnnotations } from './transfer-annotations.js';
import type { Dataset, Image, NamedContainer, Pixels, Plate, Project, Provenance, Roi, Screen, ServerPath, TransferModel, Well, WellMembership, WellSample } from './transfer-model.js';
import { addShapes, addUnique, countShapes, fail, integer, noShapes, refIds, requireId, ROOT_PATH, stepPath, unique } from './transfer-xml-reading.js';
import { attribute, childText, children, nonEmpty, textOf, type XmlNode } from './xml-node.js';

/** An image while the containers are read: they fill in its reverse links. */
interface ImageDraft extends Image {
  readonly datasetIds: string[];
  readonly wells: WellMembership[];
}

/**
 * Builds the TransferModel from a parsed transfer.xml, in the order the references need:
 * annotations (everything links to them), ROIs, images, then the containers, which fill in the
 * images' reverse links; last, the checks over the whole model and the frozen result.
 */
export class TransferModelBuilder {
  private readonly annotations: TransferAnnotations;
  private readonly rois = new Map<string, Roi>();
  private readonly images = new Map<string, ImageDraft>();
  private readonly datasets = new Map<string, { dataset: Omit<Dataset, 'projectIds'>; projectIds: string[] }>();
  private readonly projects = new Map<string, Project>();
  private readonly wells = new Map<string, Well>();
  private readonly plates = new Map<string, { plate: Omit<Plate, 'screenIds'>; screenIds: string[] }>();
  private readonly screens = new Map<string, Screen>();

  constructor(private readonly root: XmlNode) {
    this.annotations = new TransferAnnotations(root);
  }

  build(): TransferModel {
    this.readRois();
    this.readImages();
    this.readDatasets();
    this.readProjects();
    this.readPlates();
    this.readScreens();
    return this.freeze();
  }

  private readRois(): void {
    const nodes = children(this.root, 'ROI');
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] ?? {};
      const id = requireId(node, ROOT_PATH, 'ROI', i);
      const shapes = noShapes();
      const shapeCount = countShapes(textOf(node), shapes);
      addUnique(this.rois, id, { id, name: nonEmpty(attribute(node, 'Name')), shapes, shapeCount }, 'ROI', () => stepPath(ROOT_PATH, 'ROI', i));
    }
  }

  private readPixels(node: XmlNode, imagePath: string): Pixels | undefined {
    const pixels = children(node, 'Pixels')[0];
    if (!pixels) return undefined;
    const path = `${imagePath}/Pixels[1]`;
    return {
      id: nonEmpty(attribute(pixels, 'ID')),
      type: nonEmpty(attribute(pixels, 'Type')),
      dimensionOrder: nonEmpty(attribute(pixels, 'DimensionOrder')),
      sizeX: integer(pixels, 'SizeX', path, 1, false),
      sizeY: integer(pixels, 'SizeY', path, 1, false),
      sizeZ: integer(pixels, 'SizeZ', path, 1, false),
      sizeC: integer(pixels, 'SizeC', path, 1, false),
      sizeT: integer(pixels, 'SizeT', path, 1, false),
    };
  }

  /** An image's ROIs, each once, with their shapes summed in the one lookup each ref needs. */
  private readImageRois(node: XmlNode, imagePath: string): Pick<Image, 'roiRefs' | 'roiShapes'> {
    const refs = children(node, 'ROIRef');
    const roiRefs: string[] = [];
    const seen = new Set<string>();
    const roiShapes = noShapes();
    for (let r = 0; r < refs.length; r++) {
      const roiId = requireId(refs[r] ?? {}, imagePath, 'ROIRef', r);
      const roi = this.rois.get(roiId);
      if (roi === undefined) fail('dangling_ref', `no ROI with ID ${roiId}`, stepPath(imagePath, 'ROIRef', r));
      if (seen.has(roiId)) continue;
      seen.add(roiId);
      roiRefs.push(roiId);
      addShapes(roiShapes, roi.shapes);
    }
    return { roiRefs, roiShapes };
  }

  private readImages(): void {
    children(this.root, 'Image').forEach((node, i) => {
      const path = stepPath(ROOT_PATH, 'Image', i);
      const id = requireId(node, ROOT_PATH, 'Image', i);
      const linked = this.annotations.link(node, path);
      const { roiRefs, roiShapes } = this.readImageRois(node, path);
      const image: ImageDraft = {
        id,
        name: nonEmpty(attribute(node, 'Name')), description: nonEmpty(childText(node, 'Description')),
        pixels: this.readPixels(node, path),
        annotationRefs: linked.refs,
        roiRefs,
        roiShapes,
        path: this.annotations.serverPathOf(linked.path, 'image'),
        provenance: linked.provenance && { ...linked.provenance, ownerId: id },
        datasetIds: [],
        wells: [],
      };
      addUnique(this.images, id, image, 'Image', () => path);
    });
  }

  /**
   * Where a top-level element is and its id. Its references are read before its name and
   * annotations (as the document lists them), so a broken reference is the error reported first.
   */
  private place(node: XmlNode, type: 'Project' | 'Dataset' | 'Screen', i: number): { path: string; id: string } {
    return { path: stepPath(ROOT_PATH, type, i), id: requireId(node, ROOT_PATH, type, i) };
  }

  /** What every container carries besides its children: id, name, description, annotations. */
  private named(node: XmlNode, path: string, id: string): NamedContainer {
    return { id, name: nonEmpty(attribute(node, 'Name')), description: nonEmpty(childText(node, 'Description')), annotationRefs: this.annotations.link(node, path).refs };
  }

  private readDatasets(): void {
    const make = (named: NamedContainer, imageRefs: string[]) => ({ dataset: { ...named, imageRefs }, projectIds: [] });
    this.readContainers('Dataset', this.datasets, make, { type: 'Image', known: this.images, adopt: (image, id) => image.datasetIds.push(id) });
  }

  private readProjects(): void {
    const make = (named: NamedContainer, datasetRefs: string[]): Project => ({ ...named, datasetRefs });
    this.readContainers('Project', this.projects, make, { type: 'Dataset', known: this.datasets, adopt: (dataset, id) => dataset.projectIds.push(id) });
  }

  /**
   * Datasets, projects and screens: each lists its children by reference (each checked, each
   * once), every child learns that it is listed, and the container is added under its id.
   */
  private readContainers<Child, Container>(
    type: 'Project' | 'Dataset' | 'Screen',
    into: Map<string, Container>,
    make: (named: NamedContainer, childRefs: string[]) => Container,
    childOf: { readonly type: 'Image' | 'Dataset' | 'Plate'; readonly known: ReadonlyMap<string, Child>; readonly adopt: (child: Child, parentId: string) => void },
  ): void {
    children(this.root, type).forEach((node, i) => {
      const { path, id } = this.place(node, type, i);
      const childRefs = unique(refIds(node, `${childOf.type}Ref`, path, childOf.known, childOf.type));
      for (const childId of childRefs) {
        const child = childOf.known.get(childId);
        if (child !== undefined) childOf.adopt(child, id);
      }
      addUnique(into, id, make(this.named(node, path, id), childRefs), type, () => path);
    });
  }

  private readWell(wellNode: XmlNode, w: number, plateId: string, platePath: string, sampleIds: Set<string>): Well {
    const path = stepPath(platePath, 'Well', w);
    const wellId = requireId(wellNode, platePath, 'Well', w);
    const samples: WellSample[] = children(wellNode, 'WellSample').map((sampleNode, s) => {
      const samplePath = stepPath(path, 'WellSample', s);
      const sampleId = requireId(sampleNode, path, 'WellSample', s);
      if (sampleIds.has(sampleId)) fail('duplicate_id', `WellSample ${sampleId} appears twice`, samplePath);
      sampleIds.add(sampleId);
      const imageRef = refIds(sampleNode, 'ImageRef', samplePath, this.images, 'Image')[0];
      if (imageRef !== undefined) this.images.get(imageRef)?.wells.push({ plateId, wellId, wellSampleId: sampleId });
      return { id: sampleId, index: nonEmpty(attribute(sampleNode, 'Index')), imageRef };
    });
    const well: Well = {
      id: wellId,
      plateId,
      row: integer(wellNode, 'Row', path, 0, true) ?? 0,
      column: integer(wellNode, 'Column', path, 0, true) ?? 0,
      samples,
      annotationRefs: this.annotations.link(wellNode, path).refs,
    };
    addUnique(this.wells, wellId, well, 'Well', () => path);
    return well;
  }

  private readPlates(): void {
    children(this.root, 'Plate').forEach((node, i) => {
      const path = stepPath(ROOT_PATH, 'Plate', i);
      const plateId = requireId(node, ROOT_PATH, 'Plate', i);
      const sampleIds = new Set<string>();
      const wells = children(node, 'Well').map((wellNode, w) => this.readWell(wellNode, w, plateId, path, sampleIds));
      const linked = this.annotations.link(node, path);
      const plate = {
        id: plateId,
        name: nonEmpty(attribute(node, 'Name')), description: nonEmpty(childText(node, 'Description')),
        wells,
        annotationRefs: linked.refs,
        path: this.annotations.serverPathOf(linked.path, 'image'),
        provenance: linked.provenance && { ...linked.provenance, ownerId: plateId },
      };
      addUnique(this.plates, plateId, { plate, screenIds: [] }, 'Plate', () => path);
    });
  }

  private readScreens(): void {
    const make = (named: NamedContainer, plateRefs: string[]): Screen => ({ ...named, plateRefs });
    this.readContainers('Screen', this.screens, make, { type: 'Plate', known: this.plates, adopt: (plate, id) => plate.screenIds.push(id) });
  }

  /** A path is a file or a directory, never both (checked over every path the mapping will use). */
  private checkPathKinds(images: readonly Image[]): void {
    const kinds = new Map<string, 'file' | 'directory'>();
    const claim = (p: ServerPath | undefined): void => {
      if (!p) return;
      const seen = kinds.get(p.target);
      if (seen !== undefined && seen !== p.kind) {
        fail('path_conflict', `${JSON.stringify(p.target)} is named both as a file and as a fileset directory`, this.annotations.pathOf(p.annotationId));
      }
      kinds.set(p.target, p.kind);
    };
    for (const image of images) claim(image.path);
    for (const a of this.annotations.byId.values()) if (a.kind === 'file') claim(a.path);
  }

  private freeze(): TransferModel {
    const images: Image[] = [...this.images.values()];
    const datasets: Dataset[] = [...this.datasets.values()].map((d) => ({ ...d.dataset, projectIds: d.projectIds }));
    const plates: Plate[] = [...this.plates.values()].map((d) => ({ ...d.plate, screenIds: d.screenIds }));
    this.checkPathKinds(images);

    const provenance: Provenance[] = [];
    for (const image of images) if (image.provenance) provenance.push(image.provenance);
    for (const plate of plates) if (plate.provenance) provenance.push(plate.provenance);

    const annotations = this.annotations.byId;
    return {
      projects: [...this.projects.values()],
      datasets,
      screens: [...this.screens.values()],
      plates,
      images,
      annotations: [...annotations.values()],
      rois: [...this.rois.values()],
      provenance,
      legacy: this.annotations.legacyPaths,
      byId: {
        projects: this.projects,
        datasets: new Map(datasets.map((d) => [d.id, d])),
        screens: this.screens,
        plates: new Map(plates.map((p) => [p.id, p])),
        wells: new Map(plates.flatMap((p) => p.wells.map((w) => [w.id, w] as const))),
        images: this.images,
        annotations,
        rois: this.rois,
      },
    };
  }
}
