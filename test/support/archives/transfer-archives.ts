import { join } from 'node:path';
import { tiffBytes } from '../tiff-builder.js';
import { buildTar } from './tar-builder.js';
import { buildZip } from './zip-builder.js';

/**
 * OMERO transfer archives made by the project itself, in the shape `omero transfer pack` writes
 * (transfer.xml beside the original files under root_0/…, the tool's CLITransferServerPath and
 * CLITransferMetadata annotations), with small OME-TIFF images whose header carries OME-XML:
 * `make demo` uses them on a bare clone, where omero-cli-transfer's own test archives are absent.
 */

export interface DemoImage {
  readonly id: number;
  readonly name: string;
  /** Where the file sits in the archive. */
  readonly path: string;
  readonly channels: readonly string[];
}

export interface DemoTransfer {
  readonly project: string;
  readonly dataset: string;
  readonly images: readonly DemoImage[];
  /** Key-value pairs on the project and on the dataset (a MapAnnotation each). */
  readonly projectPairs: readonly (readonly [string, string])[];
  readonly datasetPairs: readonly (readonly [string, string])[];
  readonly tag: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const MAP_NS = 'openmicroscopy.org/omero/client/mapAnnotation';
const TOOL_NS = 'openmicroscopy.org/cli/transfer';

function pairs(list: readonly (readonly [string, string])[]): string {
  return list.map(([k, v]) => `<M K="${esc(k)}">${esc(v)}</M>`).join('');
}

/** The transfer.xml `omero transfer pack` would write for one project → dataset → images. */
export function demoTransferXml(t: DemoTransfer): string {
  const images = t.images
    .map(
      (img) =>
        `<Image ID="Image:${img.id}" Name="${esc(img.name)}"><AcquisitionDate>2024-05-06T07:08:09</AcquisitionDate>` +
        `<Pixels ID="Pixels:${img.id}" DimensionOrder="XYCZT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="${img.channels.length}" SizeT="1"><MetadataOnly/></Pixels>` +
        `<AnnotationRef ID="Annotation:3"/><AnnotationRef ID="Annotation:${100 + img.id}"/><AnnotationRef ID="Annotation:${200 + img.id}"/></Image>`,
    )
    .join('');
  const tool = t.images
    .map(
      (img) =>
        `<XMLAnnotation ID="Annotation:${100 + img.id}" Namespace="${TOOL_NS}"><Value><CLITransferServerPath><Path>${esc(img.path)}</Path></CLITransferServerPath></Value></XMLAnnotation>` +
        `<XMLAnnotation ID="Annotation:${200 + img.id}" Namespace="${TOOL_NS}"><Value><CLITransferMetadata><origin_image_id>${img.id}</origin_image_id>` +
        '<packing_timestamp>06/05/2024, 10:11:12</packing_timestamp><software>omero-cli-transfer</software><version>1.3.2</version>' +
        '<origin_hostname>omero.example.org</origin_hostname><md5>TBC</md5><original_user>root</original_user><original_group>system</original_group>' +
        '</CLITransferMetadata></Value></XMLAnnotation>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<Project ID="Project:1" Name="${esc(t.project)}"><Description>Made by irods-omero-agent's demo</Description><DatasetRef ID="Dataset:1"/><AnnotationRef ID="Annotation:1"/></Project>` +
    `<Dataset ID="Dataset:1" Name="${esc(t.dataset)}">${t.images.map((i) => `<ImageRef ID="Image:${i.id}"/>`).join('')}<AnnotationRef ID="Annotation:2"/></Dataset>` +
    images +
    '<StructuredAnnotations>' +
    `<MapAnnotation ID="Annotation:1" Namespace="${MAP_NS}"><Value>${pairs(t.projectPairs)}</Value></MapAnnotation>` +
    `<MapAnnotation ID="Annotation:2" Namespace="${MAP_NS}"><Value>${pairs(t.datasetPairs)}</Value></MapAnnotation>` +
    `<TagAnnotation ID="Annotation:3"><Value>${esc(t.tag)}</Value></TagAnnotation>` +
    tool +
    '</StructuredAnnotations></OME>\n'
  );
}

/** A small OME-TIFF: 64×64 pixels, and the OME-XML of its one image (channels, physical size) in its header. */
export function demoOmeTiff(img: DemoImage): Buffer {
  const channels = img.channels.map((name, c) => `<Channel ID="Channel:0:${c}" Name="${esc(name)}"/>`).join('');
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">' +
    `<Image ID="Image:0" Name="${esc(img.name)}"><AcquisitionDate>2024-05-06T07:08:09</AcquisitionDate>` +
    `<Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="${img.channels.length}" SizeT="1" PhysicalSizeX="0.325" PhysicalSizeY="0.325">` +
    `${channels}<TiffData IFD="0" PlaneCount="${img.channels.length}"/></Pixels></Image></OME>`;
  return tiffBytes({ big: false, little: true, description: xml, pixelBytes: 64 * 64 * img.channels.length });
}

const image = (id: number, name: string, channels: readonly string[]): DemoImage => ({ id, name, path: `root_0/2024-05/06/10-11-12.${id}/${name}`, channels });

export const DEMO_PROJECT: DemoTransfer = {
  project: 'demo cell lines',
  dataset: 'HeLa, day 1',
  images: [image(11, 'hela_01.ome.tif', ['DAPI', 'GFP']), image(12, 'hela_02.ome.tif', ['DAPI', 'GFP'])],
  projectPairs: [
    ['study', 'irods-omero-agent demo'],
    ['organism', 'Homo sapiens'],
  ],
  datasetPairs: [
    ['cell line', 'HeLa'],
    ['treatment', 'none'],
  ],
  tag: 'demo',
};

/** The archives the demo uploads when omero-cli-transfer's are not there: a zip, a tar, and an incomplete zip. */
export async function writeDemoArchives(dir: string): Promise<{ project: string; images: string; incomplete: string }> {
  const filesOf = (t: DemoTransfer, skip: readonly number[] = []) =>
    t.images.filter((img) => !skip.includes(img.id)).map((img) => ({ name: img.path, data: demoOmeTiff(img) }));
  const project = await buildZip([{ name: 'transfer.xml', data: demoTransferXml(DEMO_PROJECT) }, ...filesOf(DEMO_PROJECT)], { path: join(dir, 'demo_project.zip') });
  const single: DemoTransfer = { ...DEMO_PROJECT, project: 'demo single image', dataset: 'HeLa, day 2', images: [image(21, 'hela_03.ome.tif', ['DAPI'])] };
  const images = await buildTar([{ name: 'transfer.xml', data: demoTransferXml(single) }, ...filesOf(single)], { path: join(dir, 'demo_single_image.tar'), dotSlash: true });
  // transfer.xml names an image whose file is not in the archive: the job is flagged `incomplete`.
  const partial: DemoTransfer = { ...DEMO_PROJECT, project: 'demo incomplete project', images: [...DEMO_PROJECT.images, image(13, 'hela_missing.ome.tif', ['DAPI'])] };
  const incomplete = await buildZip([{ name: 'transfer.xml', data: demoTransferXml(partial) }, ...filesOf(partial, [13])], { path: join(dir, 'demo_incomplete_project.zip') });
  return { project, images, incomplete };
}
