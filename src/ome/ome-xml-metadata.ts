import { decodeXmlInput, DEFAULT_MAX_XML_DEPTH, parseSafeXml } from './safe-xml-parse.js';
import { createOmeXmlParserOptions } from './xml-parser-options.js';
import { attribute, childText, children, nonEmpty, type XmlNode } from './xml-node.js';

/**
 * What an OME-TIFF's OME-XML header adds to transfer.xml (which has no channels, physical sizes,
 * acquisition date or instrument): the facts the AVU mapping writes, nothing more.
 */

export interface PhysicalSize {
  /** As written (no float round trip). */
  readonly value: string;
  /** As written, or OME's default `µm`. */
  readonly unit: string;
}

export interface OmeChannel {
  /** 0-based position in Pixels. */
  readonly index: number;
  readonly name: string | undefined;
  /** OME's signed 32-bit RGBA integer. */
  readonly color: number | undefined;
}

export interface OmeMicroscope {
  readonly manufacturer: string | undefined;
  readonly model: string | undefined;
  readonly type: string | undefined;
}

export interface OmeObjective {
  readonly manufacturer: string | undefined;
  readonly model: string | undefined;
  readonly nominalMagnification: string | undefined;
  readonly lensNA: string | undefined;
  readonly immersion: string | undefined;
  readonly correction: string | undefined;
}

export interface OmeXmlImage {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly acquisitionDate: string | undefined;
  readonly physicalSizeX: PhysicalSize | undefined;
  readonly physicalSizeY: PhysicalSize | undefined;
  readonly physicalSizeZ: PhysicalSize | undefined;
  readonly channels: readonly OmeChannel[];
  readonly microscope: OmeMicroscope | undefined;
  readonly objective: OmeObjective | undefined;
}

export interface OmeXmlMetadata {
  /** In document order (= series order in the file). */
  readonly images: readonly OmeXmlImage[];
  /** A companion-file OME-TIFF: the metadata lives in another file, this one has none. */
  readonly binaryOnly: boolean;
  readonly creator: string | undefined;
}

export interface ParseOmeXmlOptions {
  readonly maxBytes: number;
  readonly maxDepth?: number;
}

/** Plane-by-plane and annotation parts can be huge and are not needed: kept raw, unparsed. */
const RAW_ELEMENTS = ['OME.ROI', 'OME.StructuredAnnotations', 'OME.Image.Pixels.TiffData', 'OME.Image.Pixels.Plane', 'OME.Image.Pixels.BinData'];

const DEFAULT_LENGTH_UNIT = 'µm';

function physicalSize(pixels: XmlNode, axis: 'X' | 'Y' | 'Z'): PhysicalSize | undefined {
  const value = nonEmpty(attribute(pixels, `PhysicalSize${axis}`));
  if (value === undefined) return undefined;
  return { value, unit: nonEmpty(attribute(pixels, `PhysicalSize${axis}Unit`)) ?? DEFAULT_LENGTH_UNIT };
}

function color(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= -0x80000000 && n <= 0xffffffff ? n | 0 : undefined;
}

/** `-16776961` → `#FF0000FF` (RGBA). */
export function formatOmeColor(value: number): string {
  return `#${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Parses OME-XML (as found in an OME-TIFF ImageDescription). Throws TransferXmlError. */
export function parseOmeXmlMetadata(input: string | Uint8Array, options: ParseOmeXmlOptions): OmeXmlMetadata {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  const xml = decodeXmlInput(input, options.maxBytes, 'OME-XML');
  const doc = parseSafeXml(xml, createOmeXmlParserOptions({ maxDepth, rawElements: RAW_ELEMENTS }), maxDepth);
  const root = children(doc !== null && typeof doc === 'object' ? (doc as XmlNode) : {}, 'OME')[0];
  if (!root) return { images: [], binaryOnly: false, creator: undefined };

  const instruments = new Map<string, { microscope: OmeMicroscope | undefined; objectives: Map<string, OmeObjective> }>();
  for (const instrument of children(root, 'Instrument')) {
    const m = children(instrument, 'Microscope')[0];
    const objectives = new Map<string, OmeObjective>();
    children(instrument, 'Objective').forEach((o, i) => {
      objectives.set(attribute(o, 'ID') ?? `#${i}`, {
        manufacturer: nonEmpty(attribute(o, 'Manufacturer')),
        model: nonEmpty(attribute(o, 'Model')),
        nominalMagnification: nonEmpty(attribute(o, 'NominalMagnification')),
        lensNA: nonEmpty(attribute(o, 'LensNA')),
        immersion: nonEmpty(attribute(o, 'Immersion')),
        correction: nonEmpty(attribute(o, 'Correction')),
      });
    });
    const microscope = m && {
      manufacturer: nonEmpty(attribute(m, 'Manufacturer')),
      model: nonEmpty(attribute(m, 'Model')),
      type: nonEmpty(attribute(m, 'Type')),
    };
    instruments.set(attribute(instrument, 'ID') ?? '', { microscope, objectives });
  }

  const images = children(root, 'Image').map((image): OmeXmlImage => {
    const pixels = children(image, 'Pixels')[0];
    const instrumentId = attribute(children(image, 'InstrumentRef')[0] ?? {}, 'ID');
    const instrument = instrumentId === undefined ? undefined : instruments.get(instrumentId);
    const objectiveId = attribute(children(image, 'ObjectiveSettings')[0] ?? {}, 'ID');
    // The objective the image was taken with; an instrument's only objective when not said.
    const objective =
      instrument && (objectiveId !== undefined ? instrument.objectives.get(objectiveId) : instrument.objectives.size === 1 ? [...instrument.objectives.values()][0] : undefined);
    return {
      id: nonEmpty(attribute(image, 'ID')),
      name: nonEmpty(attribute(image, 'Name')),
      acquisitionDate: nonEmpty(childText(image, 'AcquisitionDate')),
      physicalSizeX: pixels && physicalSize(pixels, 'X'),
      physicalSizeY: pixels && physicalSize(pixels, 'Y'),
      physicalSizeZ: pixels && physicalSize(pixels, 'Z'),
      channels: pixels
        ? children(pixels, 'Channel').map((c, index) => ({ index, name: nonEmpty(attribute(c, 'Name')), color: color(attribute(c, 'Color')) }))
        : [],
      microscope: instrument?.microscope,
      objective,
    };
  });
  return { images, binaryOnly: children(root, 'BinaryOnly').length > 0, creator: nonEmpty(attribute(root, 'Creator')) };
}
