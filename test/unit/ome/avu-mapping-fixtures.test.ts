import { describe, expect, it } from 'vitest';
import { mapTransferToAvus, parseTransferXml, type TransferModel } from '../../../src/ome/index.js';
import { avuTable, expectTargets, type ExpectedTarget } from './avu-table.js';
import { transferXmlOf } from './fixture-archives.js';

/*
 * The exact AVU set for every fixture archive. Each table below was written by hand from the
 * fixture's transfer.xml (unzip -p X.zip transfer.xml; tar -xOf X.tar ./transfer.xml) and the
 * rules of docs/avu-mapping.md — not copied from the code's output. The simple_screen table of
 * 80 plate-2 wells was extracted from the XML with a separate regex script (not this parser),
 * then pasted here as a literal.
 */

const parse = async (fixture: string): Promise<TransferModel> => parseTransferXml(await transferXmlOf(fixture), { maxBytes: 1 << 24 });
const mapFixture = async (fixture: string) => mapTransferToAvus(await parse(fixture));

const CLIENT_NS = 'openmicroscopy.org/omero/client/mapAnnotation';
const JAX_NS = 'jax.org/jax/example/namespace';
const LONG_SURNAME =
  "this is a test to see if the kv pairs in omero have any length limits. I don't think they do, but I will write something relatively long just so I can double-check whether that is the case or not.";

const summary = (counts: Record<string, number>): string =>
  ['projects', 'datasets', 'screens', 'plates', 'wells', 'images', 'rois', 'shapes', 'annotations', 'files']
    .map((k) => `omero.summary.${k} | ${counts[k] ?? 0}`)
    .join('\n');

const provenance = (iso: string, raw: string, version = '0.8.0'): string => `
  omero.transfer.software | omero-cli-transfer
  omero.transfer.version | ${version}
  omero.transfer.packing_timestamp | ${iso}
  omero.transfer.packing_timestamp_raw | ${raw}
  omero.transfer.origin_hostname | localhost
  omero.transfer.original_user | root
  omero.transfer.original_group | system`;

const pixels = (image: string, type: string, x: number, y: number, z: number, c: number, t: number, order = 'XYZCT'): string => `
  omero.pixels.type | ${type} | image:${image}
  omero.pixels.dimension_order | ${order} | image:${image}
  omero.pixels.size_x | ${x} | image:${image}
  omero.pixels.size_y | ${y} | image:${image}
  omero.pixels.size_z | ${z} | image:${image}
  omero.pixels.size_c | ${c} | image:${image}
  omero.pixels.size_t | ${t} | image:${image}`;

/** The annotations of combined_result.tiff in the single-image packs (maps 51 and 53, tag 52). */
const singleImageAnnotations = (image: string, map1: string, tag: string, map2: string): string => `
  omero.map.species | (empty) | image:${image} annotation:${map1} #0 empty ns:${CLIENT_NS}
  omero.map.occupation | (empty) | image:${image} annotation:${map1} #1 empty ns:${CLIENT_NS}
  omero.map.first name | (empty) | image:${image} annotation:${map1} #2 empty ns:${CLIENT_NS}
  omero.map.surname | ${LONG_SURNAME} | image:${image} annotation:${map1} #3 ns:${CLIENT_NS}
  omero.tag | simple_tag | image:${image} annotation:${tag}
  omero.map.species | (empty) | image:${image} annotation:${map2} #0 empty ns:${JAX_NS}
  omero.map.occupation | (empty) | image:${image} annotation:${map2} #1 empty ns:${JAX_NS}
  omero.map.first name | (empty) | image:${image} annotation:${map2} #2 empty ns:${JAX_NS}
  omero.map.surname | (empty) | image:${image} annotation:${map2} #3 empty ns:${JAX_NS}`;

const combinedResult = (image: string): string => `
  omero.image.id | ${image} | image:${image}
  omero.image.name | combined_result.tiff | image:${image}
  ${pixels(image, 'uint16', 1024, 1024, 1, 1, 1)}
  ${singleImageAnnotations(image, '51', '52', '53')}
  omero.roi.count | 3 | image:${image}
  omero.roi.shapes.line | 2 | image:${image}
  omero.roi.shapes.rectangle | 1 | image:${image}`;

const COMBINED_RESULT_PATH = 'root_0/2023-12/18/14-52-03.548/combined_result.tiff';

describe('AVUs of the single-image packs', () => {
  it('maps valid_single_image.zip: the image file and the root summary', async () => {
    expectTargets(await mapFixture('valid_single_image.zip'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ images: 1, rois: 3, shapes: 3, annotations: 3, files: 1 })}
          ${provenance('2023-12-18T09:59:50', '18/12/2023, 09:59:50')}`),
      },
      [COMBINED_RESULT_PATH]: { kind: 'data_object', avus: avuTable(combinedResult('51')) },
    });
  });

  it('maps the tar form (./ prefixed entries) the same, with its own packing time', async () => {
    expectTargets(await mapFixture('valid_single_image.tar'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ images: 1, rois: 3, shapes: 3, annotations: 3, files: 1 })}
          ${provenance('2023-12-18T09:57:59', '18/12/2023, 09:57:59')}`),
      },
      [COMBINED_RESULT_PATH]: { kind: 'data_object', avus: avuTable(combinedResult('51')) },
    });
  });

  it('maps the loose valid_single_image/transfer.xml, whose TimestampAnnotation has a namespace', async () => {
    expectTargets(await mapFixture('valid_single_image/transfer.xml'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ images: 1, rois: 3, shapes: 3, annotations: 4, files: 1 })}
          ${provenance('2023-12-18T09:57:59', '18/12/2023, 09:57:59')}`),
      },
      [COMBINED_RESULT_PATH]: {
        kind: 'data_object',
        avus: avuTable(`${combinedResult('51')}
          omero.timestamp | 2025-03-06T13:18:57.847775 | image:51 annotation:54 ns:${JAX_NS}`),
      },
    });
  });

  it('maps the hand-maintained transfer.xml: two images on one file, told apart by image:<id>', async () => {
    const image = (id: string): string => `
      omero.image.id | ${id} | image:${id}
      omero.image.name | combined_result.tiff | image:${id}
      ${pixels(id, 'uint16', 1024, 1024, 1, 1, 1)}
      ${singleImageAnnotations(id, '2209', '2551', '2210')}
      omero.roi.count | 3 | image:${id}
      omero.roi.shapes.line | 2 | image:${id}
      omero.roi.shapes.rectangle | 1 | image:${id}`;
    expectTargets(await mapFixture('transfer.xml'), {
      // No CLITransferMetadata in this older example: no omero.transfer.* at all.
      '': { kind: 'collection', avus: avuTable(summary({ images: 2, rois: 3, shapes: 3, annotations: 3, files: 1 })) },
      'root_0/2022-01/14/18-30-55.264/combined_result.tiff': { kind: 'data_object', avus: avuTable(image('1678') + image('1679')) },
    });
  });
});

describe('AVUs of the dataset and project packs', () => {
  it('maps valid_single_dataset.zip: dataset on the root, membership on the file', async () => {
    expectTargets(await mapFixture('valid_single_dataset.zip'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ datasets: 1, images: 1, annotations: 3, files: 1 })}
          ${provenance('2023-12-19T09:38:03', '19/12/2023, 09:38:03')}
          omero.dataset.id | 1 | dataset:1
          omero.dataset.name | testdatsts | dataset:1
          omero.map.dataset | kvpair | dataset:1 annotation:1 #0 ns:${CLIENT_NS}
          omero.tag | newtag | dataset:1 annotation:2
          omero.tag | common | dataset:1 annotation:3`),
      },
      'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 1 | image:1
          omero.image.name | cycle4.ome_cells.png | image:1
          ${pixels('1', 'uint8', 1024, 1024, 1, 3, 1)}
          omero.dataset.id | 1 | image:1
          omero.dataset.name | testdatsts | image:1 dataset:1
          omero.roi.count | 0 | image:1`),
      },
    });
  });

  const projectTargets = (): Record<string, ExpectedTarget> => ({
    '': {
      kind: 'collection',
      avus: avuTable(`${summary({ projects: 1, datasets: 2, images: 3, rois: 5, shapes: 5, annotations: 4, files: 3 })}
        ${provenance('2023-12-19T10:02:04', '19/12/2023, 10:02:04')}
        omero.project.id | 1 | project:1
        omero.project.name | testproj | project:1
        omero.map.proj | kvpair | project:1 annotation:51 #0 ns:${CLIENT_NS}
        omero.map.test2 | another one | project:1 annotation:51 #1 ns:${CLIENT_NS}
        omero.dataset.id | 51 | dataset:51
        omero.dataset.name | empty_ds | dataset:51
        omero.dataset.description | this is a test description. | dataset:51
        omero.project.id | 1 | dataset:51
        omero.tag | newtag | dataset:51 annotation:2
        omero.dataset.id | 1 | dataset:1
        omero.dataset.name | testdatsts | dataset:1
        omero.project.id | 1 | dataset:1
        omero.map.dataset | kvpair | dataset:1 annotation:1 #0 ns:${CLIENT_NS}`),
    },
    'root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png': {
      kind: 'data_object',
      avus: avuTable(`
        omero.image.id | 51 | image:51
        omero.image.name | cycle3.ome_result_colored.png | image:51
        ${pixels('51', 'uint8', 1024, 1024, 1, 3, 1)}
        omero.dataset.id | 51 | image:51
        omero.dataset.name | empty_ds | image:51 dataset:51
        omero.project.id | 1 | dataset:51
        omero.project.name | testproj | dataset:51 project:1
        omero.map.species | a | image:51 annotation:52 #0 ns:${CLIENT_NS}
        omero.map.occupation | b | image:51 annotation:52 #1 ns:${CLIENT_NS}
        omero.map.first name | c | image:51 annotation:52 #2 ns:${CLIENT_NS}
        omero.map.surname | d | image:51 annotation:52 #3 ns:${CLIENT_NS}
        omero.roi.count | 5 | image:51
        omero.roi.shapes.point | 1 | image:51
        omero.roi.shapes.line | 1 | image:51
        omero.roi.shapes.rectangle | 1 | image:51
        omero.roi.shapes.ellipse | 1 | image:51
        omero.roi.shapes.polygon | 1 | image:51`),
    },
    'pixel_images/52.tiff': {
      kind: 'data_object',
      avus: avuTable(`
        omero.image.id | 52 | image:52
        omero.image.name | random image | image:52
        ${pixels('52', 'uint8', 1000, 1000, 1, 1, 1)}
        omero.dataset.id | 51 | image:52
        omero.dataset.name | empty_ds | image:52 dataset:51
        omero.project.id | 1 | dataset:51
        omero.project.name | testproj | dataset:51 project:1
        omero.roi.count | 0 | image:52`),
    },
    'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png': {
      kind: 'data_object',
      avus: avuTable(`
        omero.image.id | 1 | image:1
        omero.image.name | cycle4.ome_cells.png | image:1
        ${pixels('1', 'uint8', 1024, 1024, 1, 3, 1)}
        omero.dataset.id | 1 | image:1
        omero.dataset.name | testdatsts | image:1 dataset:1
        omero.project.id | 1 | dataset:1
        omero.project.name | testproj | dataset:1 project:1
        omero.roi.count | 0 | image:1`),
    },
  });

  it('maps valid_single_project.zip: project and datasets on the root, the chain on each file', async () => {
    expectTargets(await mapFixture('valid_single_project.zip'), projectTargets());
  });

  it('maps incomplete_project.zip like the complete one (a missing file is the expand step’s business)', async () => {
    expectTargets(await mapFixture('incomplete_project.zip'), projectTargets());
  });
});

describe('AVUs of the plate and screen packs', () => {
  const PLATE1_FILE = 'root_0/2023-12/19/15-44-36.995/simple-plate&plates=1&plateAcqs=1&plateRows=1&plateCols=1&fields=1.fake';
  const PLATE2_FILE = 'root_0/2023-12/19/15-44-56.409/simple-plate&plates=1&plateAcqs=1&plateRows=8&plateCols=10&fields=1.fake';
  const ATTACHMENT = 'file_annotations/106/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx';
  const IMAGE_101_NAME = 'simple-plate&plates=1&plateAcqs=1&plateRows=1&plateCols=1&fields=1.fake';

  const image101 = `
    omero.image.id | 101 | image:101
    omero.image.name | ${IMAGE_101_NAME} | image:101
    omero.image.description | Image Description 0 | image:101
    ${pixels('101', 'uint8', 512, 512, 1, 1, 1)}
    omero.well.id | 1 | image:101
    omero.well.row | 0 | well:1
    omero.well.column | 0 | well:1
    omero.well.name | A1 | well:1
    omero.plate.id | 1 | well:1
    omero.plate.name | Plate Name 0 | well:1 plate:1
    omero.attachment | ${ATTACHMENT} | image:101 annotation:106
    omero.map.test_image | yes | image:101 annotation:107 #0 ns:${CLIENT_NS}
    omero.map.test_well | yes | well:1 annotation:104 #0 ns:${CLIENT_NS}
    omero.roi.count | 4 | image:101
    omero.roi.shapes.point | 2 | image:101
    omero.roi.shapes.rectangle | 1 | image:101
    omero.roi.shapes.polygon | 1 | image:101`;

  const attachment = `
    omero.annotation.id | 106 | annotation:106
    omero.file.name | LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx | annotation:106
    omero.file.size | 11611 | annotation:106
    omero.image.id | 101 | annotation:106
    omero.image.name | ${IMAGE_101_NAME} | annotation:106 image:101`;

  it('maps simple_plate.zip: plate on the root, well and attachment on the image file', async () => {
    expectTargets(await mapFixture('simple_plate.zip'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ plates: 1, wells: 1, images: 1, rois: 4, shapes: 4, annotations: 4, files: 2 })}
          ${provenance('2023-12-21T09:53:35', '21/12/2023, 09:53:35')}
          omero.plate.id | 1 | plate:1
          omero.plate.name | Plate Name 0 | plate:1
          omero.plate.description | Plate 0 of 1 | plate:1
          omero.tag | plate_and_screen | plate:1 annotation:101`),
      },
      [PLATE1_FILE]: { kind: 'data_object', avus: avuTable(image101) },
      [ATTACHMENT]: { kind: 'data_object', avus: avuTable(attachment) },
    });
  });

  /** Plate 2 of simple_screen: image id, well id, row, column, N of the name `[simple-plate N]`. */
  const PLATE2 = [
    '102 67 0 0 -', '167 66 5 0 51', '137 36 5 7 58', '151 50 3 6 37', '138 37 3 9 40', '178 78 2 9 30', '147 46 4 9 50', '148 47 7 9 80',
    '152 51 0 9 10', '116 15 1 8 19', '113 12 0 8 9', '176 76 7 5 76', '180 80 7 7 78', '170 70 2 3 24', '132 31 7 4 75', '128 27 1 2 13',
    '136 35 2 8 29', '126 25 5 1 52', '146 45 2 0 21', '175 75 5 4 55', '140 39 2 7 28', '160 59 1 1 12', '115 14 3 3 34', '161 60 1 6 17',
    '119 18 3 4 35', '158 57 0 5 6', '171 71 4 3 44', '164 63 6 9 70', '122 21 7 1 72', '110 9 1 0 11', '111 10 6 7 68', '121 20 4 2 43',
    '117 16 4 1 42', '114 13 7 0 71', '129 28 2 4 25', '125 24 3 0 31', '134 33 4 7 48', '162 61 5 6 57', '157 56 5 8 59', '104 3 7 6 77',
    '120 19 1 9 20', '179 79 3 8 39', '108 7 6 8 69', '145 44 0 4 5', '181 81 5 2 53', '166 65 1 4 15', '168 68 0 1 2', '118 17 5 9 60',
    '153 52 0 6 7', '135 34 6 3 64', '144 43 0 3 4', '103 2 4 4 45', '127 26 7 8 79', '165 64 2 1 22', '123 22 6 6 67', '106 5 4 0 41',
    '174 74 6 0 61', '141 40 4 5 46', '130 29 1 3 14', '169 69 0 7 8', '133 32 0 2 3', '142 41 2 6 27', '143 42 3 2 33', '107 6 2 2 23',
    '131 30 3 7 38', '150 49 1 7 18', '124 23 7 2 73', '155 54 6 4 65', '159 58 3 1 32', '172 72 6 1 62', '112 11 5 5 56', '139 38 5 3 54',
    '105 4 3 5 36', '177 77 2 5 26', '109 8 6 2 63', '173 73 1 5 16', '156 55 6 5 66', '154 53 4 8 49', '163 62 4 6 47', '149 48 7 3 74',
  ];

  it('maps simple_screen.zip: screen with Long rating and Comment, 81 wells, 80 images on one plate file', async () => {
    expect(PLATE2).toHaveLength(80);
    const rowLetters = 'ABCDEFGH';
    const plate2File = PLATE2.map((line) => {
      const [image = '', well = '', row = '', column = '', n = ''] = line.split(' ');
      const name = `simple-plate&plates=1&plateAcqs=1&plateRows=8&plateCols=10&fields=1.fake [simple-plate${n === '-' ? '' : ` ${n}`}]`;
      const description = `Image Description ${n === '-' ? 0 : Number(n) - 1}`;
      return `
        omero.image.id | ${image} | image:${image}
        omero.image.name | ${name} | image:${image}
        omero.image.description | ${description} | image:${image}
        ${pixels(image, 'uint8', 512, 512, 1, 1, 1)}
        omero.well.id | ${well} | image:${image}
        omero.well.row | ${row} | well:${well}
        omero.well.column | ${column} | well:${well}
        omero.well.name | ${rowLetters[Number(row)] ?? '?'}${Number(column) + 1} | well:${well}
        omero.plate.id | 2 | well:${well}
        omero.plate.name | Plate Name 0 | well:${well} plate:2
        omero.roi.count | 0 | image:${image}`;
    }).join('\n');
    const timestamps = ['04', '05', '06', '07', '08'];
    expectTargets(await mapFixture('simple_screen.zip'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ screens: 1, plates: 2, wells: 81, images: 81, rois: 4, shapes: 4, annotations: 6, files: 3 })}
          omero.transfer.software | omero-cli-transfer
          omero.transfer.version | 0.8.0
          ${timestamps.map((s) => `omero.transfer.packing_timestamp | 2023-12-22T10:19:${s}`).join('\n')}
          ${timestamps.map((s) => `omero.transfer.packing_timestamp_raw | 22/12/2023, 10:19:${s}`).join('\n')}
          omero.transfer.origin_hostname | localhost
          omero.transfer.original_user | root
          omero.transfer.original_group | system
          omero.screen.id | 1 | screen:1
          omero.screen.name | test_screen | screen:1
          omero.tag | plate_and_screen | screen:1 annotation:101
          omero.rating | 5 | screen:1 annotation:102
          omero.comment | this is a comment | screen:1 annotation:103
          omero.plate.id | 1 | plate:1
          omero.plate.name | Plate Name 0 | plate:1
          omero.plate.description | Plate 0 of 1 | plate:1
          omero.screen.id | 1 | plate:1
          omero.tag | plate_and_screen | plate:1 annotation:101
          omero.plate.id | 2 | plate:2
          omero.plate.name | Plate Name 0 | plate:2
          omero.plate.description | Plate 0 of 1 | plate:2
          omero.screen.id | 1 | plate:2`),
      },
      [PLATE1_FILE]: {
        kind: 'data_object',
        avus: avuTable(`${image101}
          omero.screen.id | 1 | plate:1
          omero.screen.name | test_screen | plate:1 screen:1`),
      },
      [PLATE2_FILE]: {
        kind: 'data_object',
        avus: avuTable(`${plate2File}
          omero.screen.id | 1 | plate:2
          omero.screen.name | test_screen | plate:2 screen:1`),
      },
      [ATTACHMENT]: { kind: 'data_object', avus: avuTable(attachment) },
    });
  });
});

describe('AVUs of an `omero transfer prepare` transfer.xml', () => {
  it('maps prepare/transfer.xml: prepare provenance, a multi-series .vsi, a well with a non-numeric id', async () => {
    expectTargets(await mapFixture('prepare/transfer.xml'), {
      '': {
        kind: 'collection',
        avus: avuTable(`${summary({ plates: 1, wells: 1, images: 4, files: 3 })}
          omero.transfer.software | omero-cli-transfer
          omero.transfer.version | 1.1.1
          omero.transfer.packing_timestamp | 2025-02-19T14:38:13
          omero.transfer.packing_timestamp | 2025-02-19T14:38:15
          omero.transfer.packing_timestamp | 2025-02-19T14:38:17
          omero.transfer.packing_timestamp_raw | 19/02/2025, 14:38:13
          omero.transfer.packing_timestamp_raw | 19/02/2025, 14:38:15
          omero.transfer.packing_timestamp_raw | 19/02/2025, 14:38:17
          omero.plate.id | 1 | plate:1
          omero.plate.name | Plate Name 0 | plate:1`),
      },
      'default-plate&plates=1.fake': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 1 | image:1
          omero.image.name | default-plate | image:1
          ${pixels('1', 'uint8', 512, 512, 1, 1, 1)}
          omero.well.id | 0_0_0_0 | image:1
          omero.well.row | 0 | well:0_0_0_0
          omero.well.column | 0 | well:0_0_0_0
          omero.well.name | A1 | well:0_0_0_0
          omero.plate.id | 1 | well:0_0_0_0
          omero.plate.name | Plate Name 0 | well:0_0_0_0 plate:1
          omero.roi.count | 0 | image:1`),
      },
      'test_pyramid.ome.tif': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 2 | image:2
          omero.image.name | test_pyramid.tiff | image:2
          ${pixels('2', 'uint8', 16, 16, 1, 1, 1, 'XYCZT')}
          omero.roi.count | 0 | image:2`),
      },
      'vsi-ets-test-jpg2k.vsi': {
        kind: 'data_object',
        avus: avuTable(`
          omero.image.id | 3 | image:3
          omero.image.name | vsi-ets-test-jpg2k.vsi [001 C405, C488] | image:3
          ${pixels('3', 'uint16', 1645, 1682, 11, 2, 1, 'XYCZT')}
          omero.roi.count | 0 | image:3
          omero.image.id | 4 | image:4
          omero.image.name | vsi-ets-test-jpg2k.vsi [macro image] | image:4
          ${pixels('4', 'uint8', 501, 512, 1, 3, 1, 'XYCZT')}
          omero.roi.count | 0 | image:4`),
      },
    });
  });
});
