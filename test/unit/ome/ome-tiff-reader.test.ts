import { describe, expect, it } from 'vitest';
import {
  isOmeTiffCandidate,
  mapTransferToAvus,
  omeTiffCandidates,
  OmeTiffError,
  parseTransferXml,
  readOmeTiffMetadata,
  readOmeTiffXml,
  TransferXmlError,
  type TiffSource,
} from '../../../src/ome/index.js';
import { buildTiff } from '../../support/tiff-builder.js';
import { readZipEntry, transferXmlOf } from './fixture-archives.js';

/** A source over sparse segments (zeros elsewhere) that records every read. */
class RecordingSource implements TiffSource {
  readonly reads: { offset: number; length: number }[] = [];
  constructor(
    readonly size: number,
    private readonly segments: readonly { offset: number; bytes: Buffer }[],
  ) {}

  static of(bytes: Buffer): RecordingSource {
    return new RecordingSource(bytes.length, [{ offset: 0, bytes }]);
  }

  read(offset: number, length: number): Promise<Buffer> {
    this.reads.push({ offset, length });
    const out = Buffer.alloc(length);
    for (const s of this.segments) {
      const from = Math.max(offset, s.offset);
      const to = Math.min(offset + length, s.offset + s.bytes.length);
      if (from < to) s.bytes.copy(out, from - offset, from - s.offset, to - s.offset);
    }
    return Promise.resolve(out);
  }

  get bytesRead(): number {
    return this.reads.reduce((n, r) => n + r.length, 0);
  }
}

const OME_XML = `<?xml version="1.0" encoding="UTF-8"?><!-- Warning: this comment is an OME-XML metadata block --><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" Creator="hand-built">
  <Image ID="Image:0" Name="séries 1"><AcquisitionDate>2021-03-04T05:06:07</AcquisitionDate>
    <Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="2" SizeT="1" PhysicalSizeX="0.1" PhysicalSizeY="0.1">
      <Channel ID="Channel:0:0" Name="DAPI" Color="65535"/><Channel ID="Channel:0:1" Name="Cy5"/>
      <TiffData IFD="0" PlaneCount="2"/>
    </Pixels>
  </Image>
</OME>`;

describe('readOmeTiffXml reads the first IFD’s ImageDescription with a few small ranged reads', () => {
  it.each([
    ['classic TIFF, little-endian', false, true],
    ['classic TIFF, big-endian', false, false],
    ['BigTIFF, little-endian', true, true],
    ['BigTIFF, big-endian', true, false],
  ])('%s', async (_name, big, little) => {
    const tiff = buildTiff({ big, little, description: OME_XML });
    const source = new RecordingSource(tiff.size, tiff.segments);
    const metadata = await readOmeTiffMetadata(source, { maxXmlBytes: 1 << 20 });
    expect(metadata).toMatchObject({
      creator: 'hand-built',
      binaryOnly: false,
      images: [
        {
          name: 'séries 1',
          acquisitionDate: '2021-03-04T05:06:07',
          physicalSizeX: { value: '0.1', unit: 'µm' },
          physicalSizeY: { value: '0.1', unit: 'µm' },
          physicalSizeZ: undefined,
          channels: [
            { index: 0, name: 'DAPI', color: 65535 },
            { index: 1, name: 'Cy5', color: undefined },
          ],
        },
      ],
    });
    // Header, IFD count, IFD entries, description: never the 1 MiB of pixels.
    expect(source.reads.length).toBeLessThanOrEqual(4);
    expect(source.bytesRead).toBeLessThan(Buffer.byteLength(OME_XML) + 256);
  });

  it('follows a BigTIFF offset beyond 4 GiB', async () => {
    const far = 2 ** 32 + 4096;
    const tiff = buildTiff({ big: true, little: true, description: OME_XML, descriptionOffset: far });
    const source = new RecordingSource(tiff.size, tiff.segments);
    expect(source.size).toBeGreaterThan(2 ** 32);
    expect(await readOmeTiffXml(source, { maxXmlBytes: 1 << 20 })).toBe(OME_XML);
    expect(source.reads.at(-1)?.offset).toBe(far);
  });

  it('answers undefined for a TIFF without OME-XML: no description, a short inline one, an ImageJ one', async () => {
    for (const description of [undefined, 'abc', 'ImageJ=1.53c\nmin=0.0\nmax=3583.0\n']) {
      const tiff = buildTiff({ big: false, little: true, description });
      expect(await readOmeTiffXml(new RecordingSource(tiff.size, tiff.segments), { maxXmlBytes: 1 << 20 })).toBeUndefined();
    }
  });

  it('refuses a description over the limit without reading it', async () => {
    const tiff = buildTiff({ big: false, little: false, description: OME_XML });
    const source = new RecordingSource(tiff.size, tiff.segments);
    await expect(readOmeTiffXml(source, { maxXmlBytes: 100 })).rejects.toMatchObject({ name: 'OmeTiffError', code: 'too_large' });
    expect(source.bytesRead).toBeLessThan(200);
  });

  it('refuses what is not a TIFF, a truncated one, and an absurd IFD', async () => {
    await expect(readOmeTiffXml(RecordingSource.of(Buffer.from('%PDF-1.7 not a tiff')), { maxXmlBytes: 1024 })).rejects.toMatchObject({ code: 'not_tiff' });
    await expect(readOmeTiffXml(RecordingSource.of(Buffer.from('II*')), { maxXmlBytes: 1024 })).rejects.toMatchObject({ code: 'not_tiff' });
    const beyond = Buffer.alloc(8);
    beyond.write('II', 0, 'latin1');
    beyond.writeUInt16LE(42, 2);
    beyond.writeUInt32LE(1_000_000, 4);
    await expect(readOmeTiffXml(RecordingSource.of(beyond), { maxXmlBytes: 1024 })).rejects.toMatchObject({ code: 'truncated' });
    const absurd = Buffer.alloc(16);
    absurd.write('MM', 0, 'latin1');
    absurd.writeUInt16BE(42, 2);
    absurd.writeUInt32BE(8, 4);
    absurd.writeUInt16BE(60_000, 8);
    await expect(readOmeTiffXml(RecordingSource.of(absurd), { maxXmlBytes: 1024 })).rejects.toMatchObject({ code: 'bad_ifd' });
    const short = new (class extends RecordingSource {
      override read(offset: number, length: number): Promise<Buffer> {
        return super.read(offset, Math.max(0, length - 1));
      }
    })(64, []);
    await expect(readOmeTiffXml(short, { maxXmlBytes: 1024 })).rejects.toBeInstanceOf(OmeTiffError);
  });

  it('refuses OME-XML with a DOCTYPE like a transfer.xml (the cause says why)', async () => {
    const tiff = buildTiff({ big: false, little: true, description: `<!DOCTYPE OME [<!ENTITY x "y">]>${OME_XML.slice(OME_XML.indexOf('<OME'))}` });
    const error: unknown = await readOmeTiffMetadata(new RecordingSource(tiff.size, tiff.segments), { maxXmlBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OmeTiffError);
    expect((error as OmeTiffError).code).toBe('invalid_ome_xml');
    expect((error as OmeTiffError).cause).toBeInstanceOf(TransferXmlError);
    expect(((error as OmeTiffError).cause as TransferXmlError).code).toBe('doctype_forbidden');
  });
});

describe('OME-TIFFs of the fixtures', () => {
  it('reads pixel_images/52.tiff of valid_single_project.zip (big-endian, Bio-Formats export)', async () => {
    const source = RecordingSource.of(await readZipEntry('valid_single_project.zip', 'pixel_images/52.tiff'));
    const metadata = await readOmeTiffMetadata(source, { maxXmlBytes: 1 << 20 });
    expect(metadata).toEqual({
      creator: 'OME Bio-Formats 7.0.0',
      binaryOnly: false,
      images: [
        {
          id: 'urn:lsid:export.openmicroscopy.org:Image:1ead8ba3-550b-45e9-9061-bcd5c5cbb02c_52:625',
          name: 'random image',
          acquisitionDate: undefined,
          physicalSizeX: undefined,
          physicalSizeY: undefined,
          physicalSizeZ: undefined,
          channels: [{ index: 0, name: undefined, color: undefined }],
          microscope: undefined,
          objective: undefined,
        },
      ],
    });
    expect(source.bytesRead).toBeLessThan(4096);
    // It names no channel, size or instrument: the mapping adds nothing to image 52.
    const model = parseTransferXml(await transferXmlOf('valid_single_project.zip'), { maxBytes: 1 << 20 });
    expect(omeTiffCandidates(model)).toEqual(['pixel_images/52.tiff']);
    if (!metadata) throw new Error('no metadata');
    expect(mapTransferToAvus(model, { omeTiff: new Map([['pixel_images/52.tiff', metadata]]) })).toEqual(mapTransferToAvus(model));
  });

  it('answers undefined for combined_result.tiff of valid_single_image.zip (an ImageJ TIFF, no OME-XML)', async () => {
    const source = RecordingSource.of(await readZipEntry('valid_single_image.zip', 'root_0/2023-12/18/14-52-03.548/combined_result.tiff'));
    expect(await readOmeTiffXml(source, { maxXmlBytes: 1 << 20 })).toBeUndefined();
    expect(source.bytesRead).toBeLessThan(4096);
  });

  it('picks the files worth reading', async () => {
    expect(omeTiffCandidates(parseTransferXml(await transferXmlOf('prepare/transfer.xml'), { maxBytes: 1 << 20 }))).toEqual(['test_pyramid.ome.tif']);
    expect(['a.ome.tif', 'b/c.OME.TIFF', 'pixel_images/52.tiff', 'x.tiff', 'pixel_images/sub/1.tiff', 'a.ome.tif.bak'].map(isOmeTiffCandidate)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
