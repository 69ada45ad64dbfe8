import type { TargetAvus } from './target-avus.js';
import { formatOmeColor, type OmeXmlImage, type OmeXmlMetadata } from './ome-xml-metadata.js';
import type { Image, TransferModel } from './transfer-model.js';

/** Orders transfer.xml ids by their number (`Image:9` before `Image:10`), else as text. */
function compareIds(a: string, b: string): number {
  const na = /:(\d+)$/.exec(a)?.[1];
  const nb = /:(\d+)$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined) {
    const d = BigInt(na) - BigInt(nb);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
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

/** Unit symbols may hold a space (`reference frame`); escaped as formatUnits does. */
const unitToken = (unit: string): string => `unit:${unit.replace(/%/g, '%25').replace(/ /g, '%20')}`;

/** What an image's OME-TIFF header adds: channels, physical sizes, acquisition, instrument. */
export function omeTiffAvus(t: TargetAvus, own: string, ome: OmeXmlImage): void {
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
