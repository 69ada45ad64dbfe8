import { describe, expect, it } from 'vitest';
import type { Avu } from '../../../src/irods/index.js';
import {
  decodeMapAnnotations,
  EMPTY_VALUE,
  formatUnits,
  mapTransferToAvus,
  parseOmeXmlMetadata,
  parseTransferXml,
  parseUnits,
  TRUNCATION_MARKER,
  wellName,
  type AvuTarget,
  type OmeXmlMetadata,
} from '../../../src/ome/index.js';
import { avuTable } from './avu-table.js';
import { transferXmlOf } from './fixture-archives.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A one-image transfer.xml on `file.tif` with the given StructuredAnnotations linked to it. */
function oneImage(annotations: string, refs: readonly string[], extraImages = ''): string {
  return `<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">
    <Image ID="Image:1" Name="one">${refs.map((r) => `<AnnotationRef ID="${r}"/>`).join('')}<AnnotationRef ID="Annotation:999"/></Image>
    ${extraImages}
    <StructuredAnnotations>
      ${annotations}
      <XMLAnnotation ID="Annotation:999" Namespace="openmicroscopy.org/cli/transfer"><Value><CLITransferServerPath><Path>file.tif</Path></CLITransferServerPath></Value></XMLAnnotation>
    </StructuredAnnotations>
  </OME>`;
}

const mapXml = (xml: string, options?: Parameters<typeof mapTransferToAvus>[1]): AvuTarget[] =>
  mapTransferToAvus(parseTransferXml(xml, { maxBytes: 1 << 22 }), options);
const targetOf = (targets: readonly AvuTarget[], path: string): readonly Avu[] => {
  const t = targets.find((x) => x.path === path);
  if (!t) throw new Error(`no target ${path}`);
  return t.avus;
};
const annotationAvus = (avus: readonly Avu[]): Avu[] => avus.filter((a) => a.units?.includes('annotation:'));

describe('key-value pairs round-trip', () => {
  const longKey = 'k'.repeat(2700 - 'omero.map.'.length + 1); // one byte too long for an attribute
  const entries = [
    { key: 'species', value: 'Mus musculus' },
    { key: 'treatment', value: 'DMSO' },
    { key: 'treatment', value: 'DMSO' }, // repeated key AND value
    { key: 'treatment', value: 'taxol' },
    { key: '', value: 'no key' },
    { key: 'a\nb', value: 'control character in the key' },
    { key: ' padded', value: 'leading white space' },
    { key: longKey, value: 'a key too long for an attribute name' },
    { key: 'note', value: '' },
    { key: 'literal', value: EMPTY_VALUE }, // a real "(empty)" stays a real value
    { key: 'key', value: 'a key named key' },
    { key: 'π ≈ 3.14', value: 'unicode' },
  ];
  const ms = entries.map((e) => `<M K="${esc(e.key).replace(/\n/g, '&#10;').replace(/^ /, '&#32;')}">${esc(e.value)}</M>`).join('');
  const xml = oneImage(
    `<MapAnnotation ID="Annotation:5" Namespace="ns.one"><Value>${ms}</Value></MapAnnotation>
     <MapAnnotation ID="Annotation:6" Namespace="ns.one"><Value><M K="species">Homo sapiens</M></Value></MapAnnotation>`,
    ['Annotation:5', 'Annotation:6'],
  );

  it('rebuilds every map annotation exactly: order, repeated keys, awkward keys, empty values, namespace', () => {
    const avus = targetOf(mapXml(xml), 'file.tif');
    expect(decodeMapAnnotations(avus)).toEqual([
      { subject: { type: 'image', id: '1' }, annotationId: '5', namespace: 'ns.one', entries, truncated: false },
      { subject: { type: 'image', id: '1' }, annotationId: '6', namespace: 'ns.one', entries: [{ key: 'species', value: 'Homo sapiens' }], truncated: false },
    ]);
  });

  it('writes plain keys as omero.map.<key>, the others as an omero.map_key / omero.map_value pair', () => {
    const avus = annotationAvus(targetOf(mapXml(xml), 'file.tif'));
    const u = (n: number, flag = ''): string => `image:1 annotation:5 #${n}${flag} ns:ns.one`;
    // Written as tuples: a table would trim the key that starts with a space.
    const expected: [string, string, string][] = [
      ['omero.map.species', 'Mus musculus', u(0)],
      ['omero.map.treatment', 'DMSO', u(1)],
      ['omero.map.treatment', 'DMSO', u(2)],
      ['omero.map.treatment', 'taxol', u(3)],
      ['omero.map_key', '(empty)', u(4, ' empty')],
      ['omero.map_value', 'no key', u(4)],
      ['omero.map_key', 'a\nb', u(5)],
      ['omero.map_value', 'control character in the key', u(5)],
      ['omero.map_key', ' padded', u(6)],
      ['omero.map_value', 'leading white space', u(6)],
      ['omero.map_key', longKey, u(7)],
      ['omero.map_value', 'a key too long for an attribute name', u(7)],
      ['omero.map.note', '(empty)', u(8, ' empty')],
      ['omero.map.literal', '(empty)', u(9)],
      ['omero.map.key', 'a key named key', u(10)],
      ['omero.map.π ≈ 3.14', 'unicode', u(11)],
      ['omero.map.species', 'Homo sapiens', 'image:1 annotation:6 #0 ns:ns.one'],
    ];
    expect(avus).toEqual(expected.map(([attribute, value, units]) => ({ attribute, value, units })));
  });

  it('carries a namespace too long for the units as a reference, and still round-trips it', () => {
    const namespace = `https://example.org/${'deep/'.repeat(60)}annotations`;
    const avus = targetOf(
      mapXml(oneImage(`<MapAnnotation ID="Annotation:5" Namespace="${namespace}"><Value><M K="a">1</M></Value></MapAnnotation>`, ['Annotation:5'])),
      'file.tif',
    );
    const pair = avus.find((a) => a.attribute === 'omero.map.a');
    expect(pair?.units).toMatch(/^image:1 annotation:5 #0 ns#[0-9a-f]{12}$/);
    const ref = pair?.units?.split('ns#')[1];
    expect(avus).toContainEqual({ attribute: 'omero.namespace', value: namespace, units: `ns#${ref ?? ''}` });
    for (const avu of avus) expect(bytes(avu.units ?? '')).toBeLessThanOrEqual(250);
    expect(decodeMapAnnotations(avus)[0]?.namespace).toBe(namespace);
  });

  it('marks a key longer than the value limit as truncated rather than dropping it', () => {
    const hugeKey = 'x'.repeat(3000);
    const avus = targetOf(mapXml(oneImage(`<MapAnnotation ID="Annotation:5"><Value><M K="${hugeKey}">v</M></Value></MapAnnotation>`, ['Annotation:5'])), 'file.tif');
    const key = avus.find((a) => a.attribute === 'omero.map_key');
    expect(key?.units).toBe('image:1 annotation:5 #0 truncated');
    expect(key?.value.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(bytes(key?.value ?? '')).toBeLessThanOrEqual(2700);
    expect(decodeMapAnnotations(avus)[0]?.truncated).toBe(true);
  });
});

describe('values iRODS would refuse', () => {
  it('cuts a long value at a character boundary, ends it with the marker, flags it; never drops it', () => {
    const comment = 'é'.repeat(2000); // 4000 bytes
    const avus = targetOf(mapXml(oneImage(`<CommentAnnotation ID="Annotation:5"><Value>${comment}</Value></CommentAnnotation>`, ['Annotation:5'])), 'file.tif');
    const avu = avus.find((a) => a.attribute === 'omero.comment');
    expect(avu?.units).toBe('image:1 annotation:5 truncated');
    expect(avu?.value.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(bytes(avu?.value ?? '')).toBeLessThanOrEqual(2700);
    expect(bytes(avu?.value ?? '')).toBeGreaterThan(2690);
    expect(avu?.value.slice(0, -TRUNCATION_MARKER.length)).toBe('é'.repeat((avu?.value.length ?? 0) - TRUNCATION_MARKER.length));
  });

  it('obeys smaller catalog limits when told', () => {
    const avus = targetOf(
      mapXml(oneImage(`<TagAnnotation ID="Annotation:5"><Value>${'t'.repeat(100)}</Value></TagAnnotation>`, ['Annotation:5']), { limits: { maxValueBytes: 40 } }),
      'file.tif',
    );
    const tag = avus.find((a) => a.attribute === 'omero.tag');
    expect(tag).toEqual({ attribute: 'omero.tag', value: `${'t'.repeat(40 - bytes(TRUNCATION_MARKER))}${TRUNCATION_MARKER}`, units: 'image:1 annotation:5 truncated' });
  });

  it('writes an empty tag or comment as the placeholder with the empty flag, and omits empty optional facts', () => {
    const avus = targetOf(
      mapXml(
        oneImage(
          `<TagAnnotation ID="Annotation:5"><Value/></TagAnnotation><CommentAnnotation ID="Annotation:6"><Value></Value></CommentAnnotation>`,
          ['Annotation:5', 'Annotation:6'],
        ),
      ),
      'file.tif',
    );
    expect(annotationAvus(avus)).toEqual(
      avuTable(`
        omero.tag | (empty) | image:1 annotation:5 empty
        omero.comment | (empty) | image:1 annotation:6 empty`),
    );
    expect(avus.some((a) => a.attribute === 'omero.image.description')).toBe(false);
    for (const avu of avus) expect(avu.value).not.toBe('');
  });

  it('keeps ids beyond 64 bytes out of the units by hashing them', () => {
    const id = `Image:${'9'.repeat(100)}`;
    const xml = `<OME><Image ID="${id}" Name="n"/></OME>`;
    const root = targetOf(mapXml(xml), '');
    const own = root.find((a) => a.attribute === 'omero.image.id');
    expect(own?.value).toMatch(/^~[0-9a-f]{16}$/);
    expect(own?.units).toBe(`image:${own?.value ?? ''}`);
  });
});

describe('targets and order', () => {
  it('puts an image with no path (packed with --binaries none) on the root collection', () => {
    const targets = mapXml(`<OME><Image ID="Image:1" Name="lonely"/></OME>`);
    expect(targets.map((t) => [t.path, t.kind])).toEqual([['', 'collection']]);
    expect(targetOf(targets, '')).toContainEqual({ attribute: 'omero.image.name', value: 'lonely', units: 'image:1' });
  });

  it('writes an annotation linked twice to one image once', () => {
    const avus = targetOf(mapXml(oneImage(`<TagAnnotation ID="Annotation:5"><Value>t</Value></TagAnnotation>`, ['Annotation:5', 'Annotation:5'])), 'file.tif');
    expect(avus.filter((a) => a.attribute === 'omero.tag')).toEqual([{ attribute: 'omero.tag', value: 't', units: 'image:1 annotation:5' }]);
  });

  it('is deterministic, in the documented order: root first, each object’s facts in table order', async () => {
    const model = parseTransferXml(await transferXmlOf('valid_single_dataset.zip'), { maxBytes: 1 << 20 });
    const first = mapTransferToAvus(model);
    expect(mapTransferToAvus(model)).toEqual(first);
    expect(first.map((t) => t.path)).toEqual(['', 'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png']);
    expect(first[1]?.avus).toEqual(
      avuTable(`
        omero.image.id | 1 | image:1
        omero.image.name | cycle4.ome_cells.png | image:1
        omero.pixels.type | uint8 | image:1
        omero.pixels.dimension_order | XYZCT | image:1
        omero.pixels.size_x | 1024 | image:1
        omero.pixels.size_y | 1024 | image:1
        omero.pixels.size_z | 1 | image:1
        omero.pixels.size_c | 3 | image:1
        omero.pixels.size_t | 1 | image:1
        omero.dataset.id | 1 | image:1
        omero.dataset.name | testdatsts | image:1 dataset:1
        omero.roi.count | 0 | image:1`),
    );
    expect(first[0]?.avus.map((a) => a.attribute).slice(0, 12)).toEqual([
      'omero.summary.projects',
      'omero.summary.datasets',
      'omero.summary.screens',
      'omero.summary.plates',
      'omero.summary.wells',
      'omero.summary.images',
      'omero.summary.rois',
      'omero.summary.shapes',
      'omero.summary.annotations',
      'omero.summary.files',
      'omero.transfer.software',
      'omero.transfer.version',
    ]);
  });
});

describe('units grammar', () => {
  it('formats and parses back every token, a unit with a space and a namespace with spaces', () => {
    const parts = {
      scopes: [
        { type: 'image', id: '51' },
        { type: 'channel', id: '2' },
      ],
      position: 3,
      unit: 'reference frame',
      empty: true,
      truncated: true,
      namespace: 'my name space',
    } as const;
    const units = formatUnits(parts);
    expect(units).toBe('image:51 channel:2 #3 unit:reference%20frame empty truncated ns:my name space');
    expect(parseUnits(units)).toEqual({ ...parts, scopes: [...parts.scopes], namespaceRef: undefined });
    expect(formatUnits({ scopes: [] })).toBeUndefined();
    expect(parseUnits(undefined)).toMatchObject({ scopes: [], namespace: undefined });
  });

  it('names wells like OMERO: rows as letters, columns from 1', () => {
    expect([wellName(0, 0), wellName(7, 11), wellName(25, 0), wellName(26, 1), wellName(31, 47)]).toEqual(['A1', 'H12', 'Z1', 'AA2', 'AF48']);
  });
});

describe('OME-TIFF facts', () => {
  const omeXml = (images: string, extra = ''): OmeXmlMetadata =>
    parseOmeXmlMetadata(`<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">${extra}${images}</OME>`, { maxBytes: 1 << 20 });
  const seriesXml = `<OME>
    <Image ID="Image:10" Name="s1"/><Image ID="Image:9" Name="s0"/><Image ID="Image:11" Name="s2"/>
    <StructuredAnnotations>
      ${['9', '10', '11']
        .map((id) => `<XMLAnnotation ID="Annotation:${id}"><Value><CLITransferServerPath><Path>multi.ome.tiff</Path></CLITransferServerPath></Value></XMLAnnotation>`)
        .join('')}
    </StructuredAnnotations>
  </OME>`.replace(/<Image ID="Image:(\d+)" Name="(\w+)"\/>/g, '<Image ID="Image:$1" Name="$2"><AnnotationRef ID="Annotation:$1"/></Image>');

  it('adds channels, physical sizes with units, acquisition date, microscope and objective', () => {
    const metadata = omeXml(
      `<Image ID="Image:0" Name="s0">
        <AcquisitionDate>2024-05-01T12:00:00</AcquisitionDate>
        <InstrumentRef ID="Instrument:0"/>
        <ObjectiveSettings ID="Objective:1"/>
        <Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint16" SizeX="2" SizeY="2" SizeZ="3" SizeC="2" SizeT="1"
                PhysicalSizeX="0.325" PhysicalSizeY="0.325" PhysicalSizeZ="2" PhysicalSizeZUnit="nm">
          <Channel ID="Channel:0:0" Name="DAPI" Color="65535"/>
          <Channel ID="Channel:0:1" Name="GFP" Color="-16776961"/>
          <TiffData IFD="0" PlaneCount="6"/>
        </Pixels>
      </Image>`,
      `<Instrument ID="Instrument:0">
        <Microscope Manufacturer="Zeiss" Model="LSM 980" Type="Inverted"/>
        <Objective ID="Objective:0" Model="wrong one"/>
        <Objective ID="Objective:1" Manufacturer="Zeiss" Model="Plan-Apochromat" NominalMagnification="63.0" LensNA="1.4" Immersion="Oil" Correction="PlanApo"/>
      </Instrument>`,
    );
    const xml = `<OME><Image ID="Image:9" Name="s0"><AnnotationRef ID="Annotation:1"/></Image><StructuredAnnotations>
      <XMLAnnotation ID="Annotation:1"><Value><CLITransferServerPath><Path>one.ome.tif</Path></CLITransferServerPath></Value></XMLAnnotation>
    </StructuredAnnotations></OME>`;
    const avus = targetOf(mapXml(xml, { omeTiff: new Map([['one.ome.tif', metadata]]) }), 'one.ome.tif');
    expect(avus.slice(avus.findIndex((a) => a.attribute === 'omero.roi.count') + 1)).toEqual(
      avuTable(`
        omero.channel.name | DAPI | image:9 channel:0
        omero.channel.color | #0000FFFF | image:9 channel:0
        omero.channel.name | GFP | image:9 channel:1
        omero.channel.color | #FF0000FF | image:9 channel:1
        omero.pixels.physical_size_x | 0.325 | image:9 unit:µm
        omero.pixels.physical_size_y | 0.325 | image:9 unit:µm
        omero.pixels.physical_size_z | 2 | image:9 unit:nm
        omero.image.acquisition_date | 2024-05-01T12:00:00 | image:9
        omero.microscope.manufacturer | Zeiss | image:9
        omero.microscope.model | LSM 980 | image:9
        omero.microscope.type | Inverted | image:9
        omero.objective.manufacturer | Zeiss | image:9
        omero.objective.model | Plan-Apochromat | image:9
        omero.objective.nominal_magnification | 63.0 | image:9
        omero.objective.lens_na | 1.4 | image:9
        omero.objective.immersion | Oil | image:9
        omero.objective.correction | PlanApo | image:9`),
    );
  });

  it('pairs the series of a multi-series file with its images in ascending id order', () => {
    const metadata = omeXml(['a', 'b', 'c'].map((n, i) => `<Image ID="Image:${i}" Name="${n}"><Pixels><Channel Name="${n}"/></Pixels></Image>`).join(''));
    const avus = targetOf(mapXml(seriesXml, { omeTiff: new Map([['multi.ome.tiff', metadata]]) }), 'multi.ome.tiff');
    expect(avus.filter((a) => a.attribute === 'omero.channel.name')).toEqual(
      avuTable(`
        omero.channel.name | b | image:10 channel:0
        omero.channel.name | a | image:9 channel:0
        omero.channel.name | c | image:11 channel:0`),
    );
  });

  it('pairs by name when the counts differ, and adds nothing from a companion (BinaryOnly) file', () => {
    const metadata = omeXml(`<Image ID="Image:0" Name="s2"><Pixels><Channel Name="only"/></Pixels></Image>`);
    const avus = targetOf(mapXml(seriesXml, { omeTiff: new Map([['multi.ome.tiff', metadata]]) }), 'multi.ome.tiff');
    expect(avus.filter((a) => a.attribute === 'omero.channel.name')).toEqual([{ attribute: 'omero.channel.name', value: 'only', units: 'image:11 channel:0' }]);
    const companion = omeXml(`<Image ID="Image:0" Name="s2"><Pixels><Channel Name="only"/></Pixels></Image>`, `<BinaryOnly MetadataFile="x.companion.ome" UUID="urn:uuid:1"/>`);
    const none = targetOf(mapXml(seriesXml, { omeTiff: new Map([['multi.ome.tiff', companion]]) }), 'multi.ome.tiff');
    expect(none.some((a) => a.attribute.startsWith('omero.channel.'))).toBe(false);
  });
});
