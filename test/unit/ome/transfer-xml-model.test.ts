import { describe, expect, it } from 'vitest';
import {
  mapTransferToAvus,
  missingReferencedFiles,
  packingTimestampToIso,
  parseTransferXml,
  referencedFiles,
  type TransferModel,
} from '../../../src/ome/index.js';
import { avuTable, expectTargets } from './avu-table.js';
import { transferXmlOf, zipEntryNames } from './fixture-archives.js';

const parse = async (fixture: string): Promise<TransferModel> => parseTransferXml(await transferXmlOf(fixture), { maxBytes: 1 << 24 });

describe('parseTransferXml on the fixture archives', () => {
  it('reads the single image: pixels, ROIs by shape, tool ids beyond 2^53 kept as text, provenance', async () => {
    const model = await parse('valid_single_image.zip');
    expect(model.images).toHaveLength(1);
    const image = model.images[0];
    expect(image).toMatchObject({
      id: 'Image:51',
      name: 'combined_result.tiff',
      description: undefined,
      pixels: { id: 'Pixels:51', type: 'uint16', dimensionOrder: 'XYZCT', sizeX: 1024, sizeY: 1024, sizeZ: 1, sizeC: 1, sizeT: 1 },
      roiRefs: ['lsid:51', 'lsid:52', 'lsid:53'],
      roiShapes: { line: 2, rectangle: 1, point: 0 },
      annotationRefs: ['Annotation:51', 'Annotation:52', 'Annotation:53', 'Annotation:12812702560734629433', 'Annotation:12812702560734629434'],
      path: {
        raw: 'root_0/2023-12/18/14-52-03.548/combined_result.tiff',
        target: 'root_0/2023-12/18/14-52-03.548/combined_result.tiff',
        kind: 'file',
        role: 'image',
        annotationId: 'Annotation:12812702560734629434',
        legacy: false,
      },
      provenance: {
        annotationId: 'Annotation:12812702560734629433',
        ownerId: 'Image:51',
        originImageId: '51',
        originPlateId: undefined,
        packingTimestampRaw: '18/12/2023, 09:59:50',
        packingTimestamp: '2023-12-18T09:59:50',
        software: 'omero-cli-transfer',
        version: '0.8.0',
        originHostname: 'localhost',
        md5: 'TBC',
        originalUser: 'root',
        originalGroup: 'system',
        databaseId: undefined,
        legacy: false,
      },
    });
    expect(model.legacy).toBe(false);
    // 12812702560734629433 > 2^53: a number would have become ...9432 or ...9440.
    expect(model.byId.annotations.has('Annotation:12812702560734629433')).toBe(true);
    const maps = model.annotations.filter((a) => a.kind === 'map');
    expect(maps.map((m) => [m.id, m.namespace, m.entries])).toEqual([
      [
        'Annotation:51',
        'openmicroscopy.org/omero/client/mapAnnotation',
        [
          { key: 'species', value: '' },
          { key: 'occupation', value: '' },
          { key: 'first name', value: '' },
          { key: 'surname', value: expect.stringMatching(/^this is a test .* or not\.$/) as unknown },
        ],
      ],
      ['Annotation:53', 'jax.org/jax/example/namespace', ['species', 'occupation', 'first name', 'surname'].map((key) => ({ key, value: '' }))],
    ]);
    expect(model.rois.map((r) => [r.id, r.shapeCount])).toEqual([
      ['lsid:51', 1],
      ['lsid:52', 1],
      ['lsid:53', 1],
    ]);
  });

  it('reads the tar form to the same model as the zip (apart from the tool’s ids and packing time)', async () => {
    const zip = await parse('valid_single_image.zip');
    const tar = await parse('valid_single_image.tar');
    expect(tar.images.map((i) => [i.id, i.name, i.path?.target, i.roiRefs])).toEqual(zip.images.map((i) => [i.id, i.name, i.path?.target, i.roiRefs]));
    expect(tar.provenance[0]?.packingTimestamp).toBe('2023-12-18T09:57:59');
  });

  it('links project → datasets → images both ways, and pixel_images as their own role', async () => {
    const model = await parse('valid_single_project.zip');
    expect(model.projects).toEqual([
      { id: 'Project:1', name: 'testproj', description: undefined, datasetRefs: ['Dataset:51', 'Dataset:1'], annotationRefs: ['Annotation:51'] },
    ]);
    expect(model.datasets.map((d) => [d.id, d.name, d.description, d.imageRefs, d.projectIds])).toEqual([
      ['Dataset:51', 'empty_ds', 'this is a test description.', ['Image:51', 'Image:52'], ['Project:1']],
      ['Dataset:1', 'testdatsts', undefined, ['Image:1'], ['Project:1']],
    ]);
    expect(model.images.map((i) => [i.id, i.datasetIds, i.path?.role, i.path?.target])).toEqual([
      ['Image:51', ['Dataset:51'], 'image', 'root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png'],
      ['Image:52', ['Dataset:51'], 'pixel_image', 'pixel_images/52.tiff'],
      ['Image:1', ['Dataset:1'], 'image', 'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png'],
    ]);
    expect(model.images[0]?.roiShapes).toEqual({ point: 1, line: 1, rectangle: 1, ellipse: 1, polygon: 1, polyline: 0, label: 0, mask: 0 });
    expect(model.provenance.map((p) => p.ownerId)).toEqual(['Image:51', 'Image:52', 'Image:1']);
  });

  it('reads wells (0-based row/column), well samples (index = source image id) and the attachment path', async () => {
    const model = await parse('simple_plate.zip');
    const plate = model.plates[0];
    expect(plate).toMatchObject({
      id: 'Plate:1',
      name: 'Plate Name 0',
      description: 'Plate 0 of 1',
      annotationRefs: ['Annotation:101', 'Annotation:9349260901912561719', 'Annotation:9349260901912561723'],
      path: { target: 'root_0/2023-12/19/15-44-36.995/simple-plate&plates=1&plateAcqs=1&plateRows=1&plateCols=1&fields=1.fake', kind: 'file' },
      provenance: { originPlateId: '1', originImageId: undefined, ownerId: 'Plate:1' },
      screenIds: [],
    });
    expect(plate?.wells).toEqual([
      {
        id: 'Well:1',
        plateId: 'Plate:1',
        row: 0,
        column: 0,
        samples: [{ id: 'WellSample:1', index: '101', imageRef: 'Image:101' }],
        annotationRefs: ['Annotation:104'],
      },
    ]);
    expect(model.images[0]?.wells).toEqual([{ plateId: 'Plate:1', wellId: 'Well:1', wellSampleId: 'WellSample:1' }]);
    // &amp; in the XML is & in the model.
    expect(model.images[0]?.name).toBe('simple-plate&plates=1&plateAcqs=1&plateRows=1&plateCols=1&fields=1.fake');
    const file = model.byId.annotations.get('Annotation:106');
    expect(file).toMatchObject({
      kind: 'file',
      namespace: undefined,
      fileName: 'LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx',
      size: '11611',
      path: {
        target: 'file_annotations/106/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx',
        kind: 'file',
        role: 'attachment',
        annotationId: 'Annotation:9349260901912561720',
      },
    });
  });

  it('reads the screen: Long rating, Comment, 2 plates, 81 wells, 80 images sharing one plate file', async () => {
    const model = await parse('simple_screen.zip');
    expect(model.screens).toEqual([
      {
        id: 'Screen:1',
        name: 'test_screen',
        description: undefined,
        plateRefs: ['Plate:1', 'Plate:2'],
        annotationRefs: ['Annotation:101', 'Annotation:102', 'Annotation:103'],
      },
    ]);
    expect(model.byId.annotations.get('Annotation:102')).toMatchObject({ kind: 'long', value: '5', rating: true, namespace: 'openmicroscopy.org/omero/insight/rating' });
    expect(model.byId.annotations.get('Annotation:103')).toMatchObject({ kind: 'comment', value: 'this is a comment' });
    expect(model.plates.map((p) => [p.id, p.wells.length, p.screenIds])).toEqual([
      ['Plate:1', 1, ['Screen:1']],
      ['Plate:2', 80, ['Screen:1']],
    ]);
    const onPlate2File = model.images.filter((i) => i.path?.target.includes('plateRows=8'));
    expect(onPlate2File).toHaveLength(80);
    expect(model.byId.wells.get('Well:22')).toMatchObject({ row: 6, column: 6, samples: [{ id: 'WellSample:22', index: '123', imageRef: 'Image:123' }] });
  });

  it('reads the hand-maintained transfer.xml: no provenance, shared ROIs, white-space values as empty', async () => {
    const model = await parse('transfer.xml');
    expect(model.provenance).toEqual([]);
    expect(model.images.map((i) => [i.id, i.roiRefs, i.path?.target])).toEqual([
      ['Image:1678', ['ROI:866', 'ROI:867', 'ROI:868'], 'root_0/2022-01/14/18-30-55.264/combined_result.tiff'],
      ['Image:1679', ['ROI:866', 'ROI:867', 'ROI:868'], 'root_0/2022-01/14/18-30-55.264/combined_result.tiff'],
    ]);
    const map = model.byId.annotations.get('Annotation:2210');
    expect(map?.kind === 'map' && map.entries.map((e) => e.value)).toEqual(['', '', '', '']);
  });

  it('reads prepare output: the /prepare namespace provenance, an .ome.tif path, two series of one .vsi', async () => {
    const model = await parse('prepare/transfer.xml');
    expect(model.provenance.map((p) => [p.ownerId, p.namespace, p.software, p.version, p.packingTimestamp, p.originalUser])).toEqual([
      ['Image:1', 'openmicroscopy.org/cli/transfer/prepare', 'omero-cli-transfer', '1.1.1', '2025-02-19T14:38:13', undefined],
      ['Image:2', 'openmicroscopy.org/cli/transfer/prepare', 'omero-cli-transfer', '1.1.1', '2025-02-19T14:38:15', undefined],
      ['Image:3', 'openmicroscopy.org/cli/transfer/prepare', 'omero-cli-transfer', '1.1.1', '2025-02-19T14:38:17', undefined],
      ['Image:4', 'openmicroscopy.org/cli/transfer/prepare', 'omero-cli-transfer', '1.1.1', '2025-02-19T14:38:17', undefined],
    ]);
    expect(model.images.filter((i) => i.path?.target === 'vsi-ets-test-jpg2k.vsi').map((i) => i.id)).toEqual(['Image:3', 'Image:4']);
    expect(model.byId.wells.get('Well:0_0_0_0')).toMatchObject({ row: 0, column: 0, samples: [{ index: '0', imageRef: 'Image:1' }] });
  });
});

describe('referencedFiles', () => {
  it('lists what transfer.xml expects, each path once with the images that name it', async () => {
    expect(referencedFiles(await parse('prepare/transfer.xml'))).toEqual([
      { path: 'default-plate&plates=1.fake', kind: 'file', role: 'image', ids: ['Image:1'] },
      { path: 'test_pyramid.ome.tif', kind: 'file', role: 'image', ids: ['Image:2'] },
      { path: 'vsi-ets-test-jpg2k.vsi', kind: 'file', role: 'image', ids: ['Image:3', 'Image:4'] },
    ]);
    expect(referencedFiles(await parse('simple_plate.zip'))).toEqual([
      { path: 'file_annotations/106/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx', kind: 'file', role: 'attachment', ids: ['Annotation:106'] },
      { path: 'root_0/2023-12/19/15-44-36.995/simple-plate&plates=1&plateAcqs=1&plateRows=1&plateCols=1&fields=1.fake', kind: 'file', role: 'image', ids: ['Image:101'] },
    ]);
  });

  it('flags incomplete_project.zip: its cycle4.ome_cells.png is referenced but not in the archive', async () => {
    const model = await parse('incomplete_project.zip');
    expect(missingReferencedFiles(model, await zipEntryNames('incomplete_project.zip'))).toEqual([
      { path: 'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png', kind: 'file', role: 'image', ids: ['Image:1'] },
    ]);
  });

  it.each(['valid_single_image.zip', 'valid_single_dataset.zip', 'valid_single_project.zip', 'simple_plate.zip', 'simple_screen.zip'])(
    'finds nothing missing in the complete archive %s',
    async (fixture) => {
      expect(missingReferencedFiles(await parse(fixture), await zipEntryNames(fixture))).toEqual([]);
    },
  );

  it('accepts tar entry names with their ./ prefix', async () => {
    const model = await parse('valid_single_image.tar');
    const entries = ['./', './root_0/', './root_0/2023-12/18/14-52-03.548/combined_result.tiff', './transfer.xml'];
    expect(missingReferencedFiles(model, entries)).toEqual([]);
    expect(missingReferencedFiles(model, ['./transfer.xml']).map((f) => f.path)).toEqual(['root_0/2023-12/18/14-52-03.548/combined_result.tiff']);
  });
});

describe('packing timestamps', () => {
  it('converts DD/MM/YYYY, HH:MM:SS to ISO 8601 local time and refuses anything else', () => {
    expect(packingTimestampToIso('19/12/2023, 10:02:04')).toBe('2023-12-19T10:02:04');
    expect(packingTimestampToIso('29/02/2024, 23:59:59')).toBe('2024-02-29T23:59:59');
    expect(packingTimestampToIso('29/02/2023, 10:00:00')).toBeUndefined();
    expect(packingTimestampToIso('12/31/2023, 10:00:00')).toBeUndefined();
    expect(packingTimestampToIso('2023-12-19T10:02:04')).toBeUndefined();
    expect(packingTimestampToIso('19/12/2023 10:02:04')).toBeUndefined();
  });
});

/**
 * A pre-1.0 transfer.xml, built from the documented shape (omero-cli-transfer before #74, its own
 * test data of that time): paths in CommentAnnotations with a negative id whose Namespace is the
 * owning object, provenance in a MapAnnotation with a negative id.
 */
const LEGACY_XML = `<?xml version="1.0" encoding="UTF-8"?>
<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Dataset ID="Dataset:7" Name="legacy ds">
    <ImageRef ID="Image:13"/>
    <ImageRef ID="Image:14"/>
    <ImageRef ID="Image:15"/>
  </Dataset>
  <Image ID="Image:13" Name="combined_result.tiff">
    <Pixels ID="Pixels:13" DimensionOrder="XYZCT" Type="uint16" SizeX="1024" SizeY="1024" SizeZ="1" SizeC="1" SizeT="1"><MetadataOnly/></Pixels>
    <AnnotationRef ID="Annotation:45"/>
    <AnnotationRef ID="Annotation:-224025024630226983263251575676667039416"/>
    <AnnotationRef ID="Annotation:-28260204872495984486395250199030049489"/>
    <AnnotationRef ID="Annotation:60"/>
    <AnnotationRef ID="Annotation:46"/>
  </Image>
  <Image ID="Image:14" Name="fileset">
    <AnnotationRef ID="Annotation:-101"/>
  </Image>
  <Image ID="Image:15" Name="no original file">
    <AnnotationRef ID="Annotation:-102"/>
  </Image>
  <StructuredAnnotations>
    <MapAnnotation ID="Annotation:45" Namespace="openmicroscopy.org/omero/client/mapAnnotation">
      <Value><M K="species"> </M></Value>
    </MapAnnotation>
    <MapAnnotation ID="Annotation:-224025024630226983263251575676667039416" Namespace="openmicroscopy.org/cli/transfer">
      <Value>
        <M K="origin_image_id">13</M>
        <M K="packing_timestamp">26/08/2022, 11:01:27</M>
        <M K="software">omero-cli-transfer</M>
        <M K="version">0.0.0</M>
        <M K="origin_hostname">localhost</M>
        <M K="md5">TBC</M>
        <M K="original_user">root</M>
        <M K="original_group">system</M>
        <M K="database_id">59149c9d-0ff3-430a-9f1a-1d8093b4a98c</M>
      </Value>
    </MapAnnotation>
    <CommentAnnotation ID="Annotation:-28260204872495984486395250199030049489" Namespace="Image:13">
      <Value>root_0/2022-08/26/14-59-42.116/combined_result.tiff</Value>
    </CommentAnnotation>
    <CommentAnnotation ID="Annotation:-101" Namespace="Image:14">
      <Value>root_0/2022-08/26/15-00-00.000/mock_folder</Value>
    </CommentAnnotation>
    <CommentAnnotation ID="Annotation:-102" Namespace="Image:15">
      <Value>pixel_images/15.tiff</Value>
    </CommentAnnotation>
    <CommentAnnotation ID="Annotation:46">
      <Value>a real comment</Value>
    </CommentAnnotation>
    <FileAnnotation ID="Annotation:60" Namespace="example.org/notes">
      <AnnotationRef ID="Annotation:-103"/>
      <BinaryFile FileName="notes.txt" Size="12"/>
    </FileAnnotation>
    <CommentAnnotation ID="Annotation:-103" Namespace="Annotation:60">
      <Value>file_annotations/60/notes.txt</Value>
    </CommentAnnotation>
    <FileAnnotation ID="Annotation:70" Namespace="omero.web.figure.json">
      <AnnotationRef ID="Annotation:-104"/>
      <BinaryFile FileName="Figure_1.json" Size="2048"/>
    </FileAnnotation>
    <CommentAnnotation ID="Annotation:-104" Namespace="Annotation:70">
      <Value>figures/Figure_70.json</Value>
    </CommentAnnotation>
  </StructuredAnnotations>
</OME>`;

describe('pre-1.0 (legacy) transfer.xml', () => {
  it('reads paths from negative-id CommentAnnotations and provenance from the negative-id MapAnnotation', () => {
    const model = parseTransferXml(LEGACY_XML, { maxBytes: 1 << 20 });
    expect(model.legacy).toBe(true);
    expect(model.images.map((i) => [i.id, i.path?.target, i.path?.kind, i.path?.role, i.path?.legacy])).toEqual([
      ['Image:13', 'root_0/2022-08/26/14-59-42.116/combined_result.tiff', 'file', 'image', true],
      ['Image:14', 'root_0/2022-08/26/15-00-00.000', 'directory', 'fileset', true],
      ['Image:15', 'pixel_images/15.tiff', 'file', 'pixel_image', true],
    ]);
    expect(model.images[0]?.provenance).toMatchObject({
      legacy: true,
      ownerId: 'Image:13',
      originImageId: '13',
      packingTimestamp: '2022-08-26T11:01:27',
      version: '0.0.0',
      databaseId: '59149c9d-0ff3-430a-9f1a-1d8093b4a98c',
    });
    expect(referencedFiles(model)).toEqual([
      { path: 'figures/Figure_70.json', kind: 'file', role: 'figure', ids: ['Annotation:70'] },
      { path: 'file_annotations/60/notes.txt', kind: 'file', role: 'attachment', ids: ['Annotation:60'] },
      { path: 'pixel_images/15.tiff', kind: 'file', role: 'pixel_image', ids: ['Image:15'] },
      { path: 'root_0/2022-08/26/14-59-42.116/combined_result.tiff', kind: 'file', role: 'image', ids: ['Image:13'] },
      { path: 'root_0/2022-08/26/15-00-00.000', kind: 'directory', role: 'fileset', ids: ['Image:14'] },
    ]);
  });

  it('maps it: the fileset set on its directory collection, the tool’s comments and map never as user annotations', () => {
    const model = parseTransferXml(LEGACY_XML, { maxBytes: 1 << 20 });
    const inDataset = (image: string): string => `
      omero.dataset.id | 7 | image:${image}
      omero.dataset.name | legacy ds | image:${image} dataset:7`;
    expectTargets(mapTransferToAvus(model), {
      '': {
        kind: 'collection',
        avus: avuTable(`
          omero.summary.projects | 0
          omero.summary.datasets | 1
          omero.summary.screens | 0
          omero.summary.plates | 0
          omero.summary.wells | 0
          omero.summary.images | 3
          omero.summary.rois | 0
          omero.summary.shapes | 0
          omero.summary.annotations | 4
          omero.summary.files | 5
          omero.transfer.software | omero-cli-transfer
          omero.transfer.version | 0.0.0
          omero.transfer.packing_timestamp | 2022-08-26T11:01:27
          omero.transfer.packing_timestamp_raw | 26/08/2022, 11:01:27
          omero.transfer.origin_hostname | localhost
          omero.transfer.original_user | root
          omero.transfer.original_group | system
          omero.transfer.database_id | 59149c9d-0ff3-430a-9f1a-1d8093b4a98c
          omero.dataset.id | 7 | dataset:7
          omero.dataset.name | legacy ds | dataset:7`),
      },
      'root_0/2022-08/26/14-59-42.116/combined_result.tiff': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 13 | image:13
          omero.image.name | combined_result.tiff | image:13
          omero.pixels.type | uint16 | image:13
          omero.pixels.dimension_order | XYZCT | image:13
          omero.pixels.size_x | 1024 | image:13
          omero.pixels.size_y | 1024 | image:13
          omero.pixels.size_z | 1 | image:13
          omero.pixels.size_c | 1 | image:13
          omero.pixels.size_t | 1 | image:13
          ${inDataset('13')}
          omero.map.species | (empty) | image:13 annotation:45 #0 empty ns:openmicroscopy.org/omero/client/mapAnnotation
          omero.attachment | file_annotations/60/notes.txt | image:13 annotation:60 ns:example.org/notes
          omero.comment | a real comment | image:13 annotation:46
          omero.roi.count | 0 | image:13`),
      },
      'root_0/2022-08/26/15-00-00.000': {
        kind: 'collection',
        avus: avuTable(`
          omero.image.id | 14 | image:14
          omero.image.name | fileset | image:14
          ${inDataset('14')}
          omero.roi.count | 0 | image:14`),
      },
      'pixel_images/15.tiff': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 15 | image:15
          omero.image.name | no original file | image:15
          ${inDataset('15')}
          omero.roi.count | 0 | image:15`),
      },
      'file_annotations/60/notes.txt': {
        kind: 'data_object',
        avus: avuTable(`
          omero.annotation.id | 60 | annotation:60
          omero.annotation.namespace | example.org/notes | annotation:60
          omero.file.name | notes.txt | annotation:60
          omero.file.size | 12 | annotation:60
          omero.image.id | 13 | annotation:60
          omero.image.name | combined_result.tiff | annotation:60 image:13`),
      },
      'figures/Figure_70.json': {
        kind: 'data_object',
        avus: avuTable(`
          omero.annotation.id | 70 | annotation:70
          omero.annotation.namespace | omero.web.figure.json | annotation:70
          omero.file.name | Figure_1.json | annotation:70
          omero.file.size | 2048 | annotation:70`),
      },
    });
  });
});

describe('tolerance', () => {
  it('matches elements by local name, whatever their prefix, and ignores elements it does not know', () => {
    const xml = `<ome:OME xmlns:ome="http://www.openmicroscopy.org/Schemas/OME/2016-06">
      <ome:Experimenter ID="Experimenter:1" FirstName="Ada"/>
      <ome:Image ID="Image:1" Name="a">
        <ome:AcquisitionDate>2020-01-01T00:00:00</ome:AcquisitionDate>
        <ome:Pixels ID="Pixels:1" DimensionOrder="XYZCT" Type="uint8" SizeX="2" SizeY="2" SizeZ="1" SizeC="1" SizeT="1"><ome:MetadataOnly/></ome:Pixels>
        <ome:AnnotationRef ID="Annotation:1"/>
        <ome:Future Whatever="1"/>
      </ome:Image>
      <ome:StructuredAnnotations>
        <ome:XMLAnnotation ID="Annotation:1" Namespace="openmicroscopy.org/cli/transfer">
          <ome:Value><CLITransferServerPath><Path>./x/./a.tif</Path></CLITransferServerPath></ome:Value>
        </ome:XMLAnnotation>
        <ome:ListAnnotation ID="Annotation:2"/>
      </ome:StructuredAnnotations>
    </ome:OME>`;
    const model = parseTransferXml(xml, { maxBytes: 1 << 20 });
    expect(model.images.map((i) => [i.id, i.pixels?.sizeX, i.path?.raw, i.path?.target])).toEqual([['Image:1', 2, './x/./a.tif', 'x/a.tif']]);
  });

  it('reads bytes with a UTF-8 byte-order mark and character references', () => {
    const xml = `\uFEFF<OME><Image ID="Image:1" Name="caf&#xE9; &#38; cr&#232;me"/></OME>`;
    const model = parseTransferXml(Buffer.from(xml, 'utf8'), { maxBytes: 1 << 20 });
    expect(model.images[0]?.name).toBe('café & crème');
  });
});

/** 1.x forms no fixture has: a multi-file fileset and a figure (packed with --figure). */
const FILESET_AND_FIGURE_XML = `<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">
  <Image ID="Image:1" Name="series 0"><AnnotationRef ID="Annotation:101"/></Image>
  <Image ID="Image:2" Name="series 1"><AnnotationRef ID="Annotation:102"/></Image>
  <StructuredAnnotations>
    <XMLAnnotation ID="Annotation:101" Namespace="openmicroscopy.org/cli/transfer"><Value><CLITransferServerPath><Path>user-3_454/2022-01/14/11-40-13.172/mock_folder</Path></CLITransferServerPath></Value></XMLAnnotation>
    <XMLAnnotation ID="Annotation:102" Namespace="openmicroscopy.org/cli/transfer"><Value><CLITransferServerPath><Path>user-3_454/2022-01/14/11-40-13.172/mock_folder</Path></CLITransferServerPath></Value></XMLAnnotation>
    <XMLAnnotation ID="Annotation:103" Namespace="Annotation:70"><Value><CLITransferServerPath><Path>figures/Figure_70.json</Path></CLITransferServerPath></Value></XMLAnnotation>
    <FileAnnotation ID="Annotation:70" Namespace="omero.web.figure.json">
      <AnnotationRef ID="Annotation:103"/>
      <BinaryFile FileName="Figure_1.json" Size="4096"/>
    </FileAnnotation>
  </StructuredAnnotations>
</OME>`;

describe('1.x filesets and figures', () => {
  it('maps a fileset (…/mock_folder) to its directory collection, both series on it, and a figure to its file', () => {
    const model = parseTransferXml(FILESET_AND_FIGURE_XML, { maxBytes: 1 << 20 });
    expect(referencedFiles(model)).toEqual([
      { path: 'figures/Figure_70.json', kind: 'file', role: 'figure', ids: ['Annotation:70'] },
      { path: 'user-3_454/2022-01/14/11-40-13.172', kind: 'directory', role: 'fileset', ids: ['Image:1', 'Image:2'] },
    ]);
    expectTargets(mapTransferToAvus(model), {
      '': {
        kind: 'collection',
        avus: avuTable(`
          omero.summary.projects | 0
          omero.summary.datasets | 0
          omero.summary.screens | 0
          omero.summary.plates | 0
          omero.summary.wells | 0
          omero.summary.images | 2
          omero.summary.rois | 0
          omero.summary.shapes | 0
          omero.summary.annotations | 1
          omero.summary.files | 2`),
      },
      'figures/Figure_70.json': {
        kind: 'data_object',
        avus: avuTable(`
          omero.annotation.id | 70 | annotation:70
          omero.annotation.namespace | omero.web.figure.json | annotation:70
          omero.file.name | Figure_1.json | annotation:70
          omero.file.size | 4096 | annotation:70`),
      },
      'user-3_454/2022-01/14/11-40-13.172': {
        kind: 'collection',
        avus: avuTable(`
          omero.image.id | 1 | image:1
          omero.image.name | series 0 | image:1
          omero.roi.count | 0 | image:1
          omero.image.id | 2 | image:2
          omero.image.name | series 1 | image:2
          omero.roi.count | 0 | image:2`),
      },
    });
  });
});
