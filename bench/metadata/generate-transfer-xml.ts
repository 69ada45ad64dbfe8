/**
 * Writes a large, realistic transfer.xml for the metadata benchmark: the shape `omero transfer
 * pack` writes (projects → datasets → images, a screen → plates → wells → images, every image
 * with its CLITransferServerPath and CLITransferMetadata XMLAnnotations, tags shared between
 * images, ordered map annotations, comments, ratings, timestamps, file attachments, ROIs with
 * several shape types). Deterministic: the same options give the same bytes.
 */

export interface GenerateOptions {
  readonly images: number;
  readonly rois: number;
  /** User-visible annotations (tags, maps, comments, ratings, timestamps, files), not counting
   * the tool's own path/provenance XMLAnnotations (two per image, written as well). */
  readonly annotations: number;
}

export const BENCH_DEFAULTS: GenerateOptions = { images: 10_000, rois: 100_000, annotations: 50_000 };

/** A small seeded PRNG (mulberry32) so the file is reproducible run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function generateTransferXml(options: GenerateOptions = BENCH_DEFAULTS): string {
  const rnd = prng(42);
  const out: string[] = [];
  const { images, rois, annotations } = options;
  const plateImages = Math.floor(images / 5);
  const datasetImages = images - plateImages;
  const imagesPerDataset = 250;
  const datasets = Math.ceil(datasetImages / imagesPerDataset);
  const projects = Math.max(1, Math.ceil(datasets / 10));
  const plates = 2;
  const wellsPerPlate = Math.ceil(plateImages / plates);
  const tagCount = 200;
  // Tool-made ids are random 64-bit numbers, beyond 2^53: generated as decimal strings.
  let toolId = 10_000_000_000_000_000_000n;
  const nextToolId = (): string => String(toolId++);

  // Share the user annotation budget: tags (shared), one map per image, then comments, ratings,
  // timestamps and file attachments for the rest.
  const maps = Math.min(images, Math.floor(annotations * 0.4));
  const files = 100;
  const rest = Math.max(0, annotations - tagCount - maps - files);
  const comments = Math.floor(rest / 3);
  const ratings = Math.floor(rest / 3);
  const timestamps = rest - comments - ratings;

  const imageAnns: string[][] = Array.from({ length: images }, () => []);
  const structured: string[] = [];
  let annId = 1000;
  for (let t = 0; t < tagCount; t++) {
    const id = `Annotation:${annId++}`;
    structured.push(`    <TagAnnotation ID="${id}">\n      <Value>tag_${t}</Value>\n    </TagAnnotation>\n`);
    for (let k = 0; k < images / tagCount; k++) imageAnns[Math.floor(rnd() * images)]?.push(id);
  }
  for (let m = 0; m < maps; m++) {
    const id = `Annotation:${annId++}`;
    const entries = [
      `        <M K="species">${rnd() < 0.5 ? 'Mus musculus' : 'Homo sapiens'}</M>`,
      `        <M K="cell line">line ${Math.floor(rnd() * 50)}</M>`,
      `        <M K="treatment">${rnd() < 0.2 ? '' : `compound &amp; ${Math.floor(rnd() * 999)}`}</M>`,
      `        <M K="treatment">vehicle</M>`,
      `        <M K="operator"/>`,
    ];
    structured.push(
      `    <MapAnnotation ID="${id}" Namespace="openmicroscopy.org/omero/client/mapAnnotation">\n      <Value>\n${entries.join('\n')}\n      </Value>\n    </MapAnnotation>\n`,
    );
    imageAnns[m]?.push(id);
  }
  for (let c = 0; c < comments; c++) {
    const id = `Annotation:${annId++}`;
    structured.push(`    <CommentAnnotation ID="${id}">\n      <Value>comment ${c}: looks fine &lt;ok&gt;</Value>\n    </CommentAnnotation>\n`);
    imageAnns[c % images]?.push(id);
  }
  for (let r = 0; r < ratings; r++) {
    const id = `Annotation:${annId++}`;
    structured.push(
      `    <LongAnnotation ID="${id}" Namespace="openmicroscopy.org/omero/insight/rating">\n      <Value>${1 + (r % 5)}</Value>\n    </LongAnnotation>\n`,
    );
    imageAnns[(r * 7) % images]?.push(id);
  }
  for (let s = 0; s < timestamps; s++) {
    const id = `Annotation:${annId++}`;
    structured.push(`    <TimestampAnnotation ID="${id}">\n      <Value>2024-0${1 + (s % 9)}-1${s % 9}T10:00:00</Value>\n    </TimestampAnnotation>\n`);
    imageAnns[(s * 13) % images]?.push(id);
  }
  for (let f = 0; f < files; f++) {
    const id = annId++;
    const pathAnn = nextToolId();
    structured.push(
      `    <XMLAnnotation ID="Annotation:${pathAnn}" Namespace="openmicroscopy.org/cli/transfer">\n      <Value>\n        <CLITransferServerPath xsi:schemaLocation="https://raw.githubusercontent.com/ome/omero-cli-transfer/main/schemas/serverpath.xsd">\n          <Path>file_annotations/${id}/results_${f}.csv</Path>\n        </CLITransferServerPath>\n      </Value>\n    </XMLAnnotation>\n`,
      `    <FileAnnotation ID="Annotation:${id}" Namespace="example.org/analysis">\n      <AnnotationRef ID="Annotation:${pathAnn}"/>\n      <BinaryFile FileName="results_${f}.csv" Size="${1000 + f}">\n        <BinData BigEndian="true" Length="0"></BinData>\n      </BinaryFile>\n    </FileAnnotation>\n`,
    );
    imageAnns[(f * 97) % images]?.push(`Annotation:${id}`);
  }

  // ROIs: spread over images, 1-3 shapes each, every shape type pack writes.
  const imageRois: string[][] = Array.from({ length: images }, () => []);
  const roiXml: string[] = [];
  const shapes = ['Point', 'Line', 'Rectangle', 'Ellipse', 'Polygon', 'Polyline', 'Label'];
  let shapeId = 1;
  for (let r = 0; r < rois; r++) {
    const id = `lsid:${r + 1}`;
    imageRois[r % images]?.push(id);
    const n = 1 + Math.floor(rnd() * 3);
    const parts: string[] = [];
    for (let s = 0; s < n; s++) {
      const type = shapes[Math.floor(rnd() * shapes.length)] ?? 'Point';
      const common = `FillColor="-256" StrokeColor="-65281" StrokeWidth="1.0" Text="" ID="Shape:${shapeId++}" TheZ="0" TheT="0" TheC="0"`;
      const x = (rnd() * 1000).toFixed(13);
      const y = (rnd() * 1000).toFixed(13);
      const geometry =
        type === 'Line'
          ? `X1="${x}" Y1="${y}" X2="${y}" Y2="${x}"`
          : type === 'Rectangle'
            ? `X="${x}" Y="${y}" Width="151.20000000000002" Height="109.20000000000005"`
            : type === 'Ellipse'
              ? `X="${x}" Y="${y}" RadiusX="261.80000000000007" RadiusY="114.80000000000007"`
              : type === 'Polygon' || type === 'Polyline'
                ? `Points="${x},${y} 693.0000000000002,557.2000000000002 820.4000000000003,688.8000000000002 925.4000000000003,775.6000000000003"`
                : type === 'Label'
                  ? `X="${x}" Y="${y}" FontSize="12"`
                  : `X="${x}" Y="${y}"`;
      parts.push(`      <${type} ${common} ${geometry}/>`);
    }
    roiXml.push(`  <ROI ID="${id}">\n    <Union>\n${parts.join('\n')}\n    </Union>\n  </ROI>\n`);
  }

  // Paths: most images one file each; every 10th group of 4 shares a multi-series file; every
  // 50th is a multi-file fileset; every 20th has no original file (pixel_images).
  const pathOf = (i: number, imageId: number): string => {
    if (i % 20 === 0) return `pixel_images/${imageId}.tiff`;
    if (i % 50 === 1) return `root_0/2024-01/02/10-00-${String(i % 60).padStart(2, '0')}.${i}/mock_folder`;
    if (i % 10 >= 6) return `root_0/2024-01/02/series-${Math.floor(i / 10)}/multi_${Math.floor(i / 10)}.ome.tiff`;
    return `root_0/2024-01/02/10-00-00.${i}/image_${i}.ome.tif`;
  };

  out.push(
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd">\n',
  );
  for (let p = 0; p < projects; p++) {
    out.push(`  <Project Name="project ${p}" ID="Project:${p + 1}">\n    <Description>bench project ${p}</Description>\n`);
    for (let d = p * 10; d < Math.min(datasets, (p + 1) * 10); d++) out.push(`    <DatasetRef ID="Dataset:${d + 1}"/>\n`);
    out.push(`  </Project>\n`);
  }
  for (let d = 0; d < datasets; d++) {
    out.push(`  <Dataset Name="dataset ${d}" ID="Dataset:${d + 1}">\n    <Description/>\n`);
    for (let i = d * imagesPerDataset; i < Math.min(datasetImages, (d + 1) * imagesPerDataset); i++) {
      out.push(`    <ImageRef ID="Image:${i + 1}"/>\n`);
    }
    out.push(`  </Dataset>\n`);
  }
  let wellImage = datasetImages;
  for (let pl = 0; pl < plates; pl++) {
    out.push(`  <Plate ID="Plate:${pl + 1}" Name="plate ${pl}">\n    <Description>Plate ${pl}</Description>\n`);
    for (let w = 0; w < wellsPerPlate && wellImage < images; w++, wellImage++) {
      const imageId = wellImage + 1;
      out.push(
        `    <Well ID="Well:${pl * wellsPerPlate + w + 1}" Column="${w % 24}" Row="${Math.floor(w / 24)}">\n      <WellSample ID="WellSample:${imageId}" Index="${imageId}">\n        <ImageRef ID="Image:${imageId}"/>\n      </WellSample>\n    </Well>\n`,
      );
    }
    out.push(`  </Plate>\n`);
  }
  out.push(`  <Screen ID="Screen:1" Name="bench screen">\n    <Description/>\n`);
  for (let pl = 0; pl < plates; pl++) out.push(`    <PlateRef ID="Plate:${pl + 1}"/>\n`);
  out.push(`  </Screen>\n`);

  const toolXml: string[] = [];
  for (let i = 0; i < images; i++) {
    const imageId = i + 1;
    const prov = nextToolId();
    const path = nextToolId();
    out.push(
      `  <Image ID="Image:${imageId}" Name="${esc(`image ${i} & co.tif`)}">\n    <Description/>\n    <Pixels ID="Pixels:${imageId}" DimensionOrder="XYZCT" Type="uint16" SizeX="1024" SizeY="1024" SizeZ="${1 + (i % 5)}" SizeC="3" SizeT="1">\n      <MetadataOnly/>\n    </Pixels>\n`,
    );
    for (const roi of imageRois[i] ?? []) out.push(`    <ROIRef ID="${roi}"/>\n`);
    for (const ann of imageAnns[i] ?? []) out.push(`    <AnnotationRef ID="${ann}"/>\n`);
    out.push(`    <AnnotationRef ID="Annotation:${prov}"/>\n    <AnnotationRef ID="Annotation:${path}"/>\n  </Image>\n`);
    toolXml.push(
      `    <XMLAnnotation ID="Annotation:${prov}" Namespace="openmicroscopy.org/cli/transfer">\n      <Value>\n        <CLITransferMetadata xsi:schemaLocation="https://raw.githubusercontent.com/ome/omero-cli-transfer/main/schemas/preparemetadata.xsd">\n          <origin_image_id>${imageId}</origin_image_id>\n          <packing_timestamp>19/12/2023, 10:02:04</packing_timestamp>\n          <software>omero-cli-transfer</software>\n          <version>1.3.0</version>\n          <origin_hostname>omero.example.org</origin_hostname>\n          <md5>TBC</md5>\n          <original_user>alice</original_user>\n          <original_group>lab</original_group>\n        </CLITransferMetadata>\n      </Value>\n    </XMLAnnotation>\n`,
      `    <XMLAnnotation ID="Annotation:${path}" Namespace="openmicroscopy.org/cli/transfer">\n      <Value>\n        <CLITransferServerPath xsi:schemaLocation="https://raw.githubusercontent.com/ome/omero-cli-transfer/main/schemas/serverpath.xsd">\n          <Path>${esc(pathOf(i, imageId))}</Path>\n        </CLITransferServerPath>\n      </Value>\n    </XMLAnnotation>\n`,
    );
  }
  // Joined piecewise: spreading 100k-element arrays into push() overflows the call stack.
  return [out.join(''), '  <StructuredAnnotations>\n', structured.join(''), toolXml.join(''), '  </StructuredAnnotations>\n', roiXml.join(''), '</OME>\n'].join('');
}
