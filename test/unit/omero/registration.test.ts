import { describe, expect, it } from 'vitest';
import { parseTransferXml } from '../../../src/ome/index.js';
import { archivePathOf, compareIds, pairContainers, pairImages, registrationAvus, relativeClientPath, sourceContainers } from '../../../src/omero/index.js';

const XML = `<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<Project ID="Project:1" Name="proj"><DatasetRef ID="Dataset:5"/></Project>
<Dataset ID="Dataset:5" Name="ds"><ImageRef ID="Image:20"/><ImageRef ID="Image:3"/><ImageRef ID="Image:4"/></Dataset>
<Image ID="Image:20" Name="series b"><Pixels ID="Pixels:20" DimensionOrder="XYZCT" Type="uint8" SizeX="1" SizeY="1" SizeZ="1" SizeC="1" SizeT="1"><MetadataOnly/></Pixels><AnnotationRef ID="Annotation:1"/></Image>
<Image ID="Image:3" Name="series a"><Pixels ID="Pixels:3" DimensionOrder="XYZCT" Type="uint8" SizeX="1" SizeY="1" SizeZ="1" SizeC="1" SizeT="1"><MetadataOnly/></Pixels><AnnotationRef ID="Annotation:1"/></Image>
<Image ID="Image:4" Name="fs"><Pixels ID="Pixels:4" DimensionOrder="XYZCT" Type="uint8" SizeX="1" SizeY="1" SizeZ="1" SizeC="1" SizeT="1"><MetadataOnly/></Pixels><AnnotationRef ID="Annotation:2"/></Image>
<StructuredAnnotations>
<XMLAnnotation ID="Annotation:1" Namespace="openmicroscopy.org/cli/transfer"><Value><CLITransferServerPath><Path>u_1/a/multi.lif</Path></CLITransferServerPath></Value></XMLAnnotation>
<XMLAnnotation ID="Annotation:2" Namespace="openmicroscopy.org/cli/transfer"><Value><CLITransferServerPath><Path>u_1/b/mock_folder</Path></CLITransferServerPath></Value></XMLAnnotation>
</StructuredAnnotations></OME>`;

const model = parseTransferXml(XML, { maxBytes: 1 << 20 });

describe('relativeClientPath', () => {
  it('finds the archive path under the folder, with or without the ./ unpack inserts', () => {
    expect(relativeClientPath('mnt/irods/home/x/./u_1/a/multi.lif', '/mnt/irods/home/x')).toBe('u_1/a/multi.lif');
    expect(relativeClientPath('mnt/irods/home/x/u_1/a/multi.lif', '/mnt/irods/home/x/')).toBe('u_1/a/multi.lif');
    expect(relativeClientPath('elsewhere/u_1/a/multi.lif', '/mnt/irods/home/x')).toBeUndefined();
  });

  it('falls back to the archive path a clientPath ends with, when the importer saw the folder elsewhere (a resolved link)', () => {
    const expected = new Set(['u_1/a/multi.lif', 'u_1/b']);
    expect(archivePathOf('nfs/real/home/x/./u_1/a/multi.lif', '/mnt/irods/home/x', expected)).toBe('u_1/a/multi.lif');
    expect(archivePathOf('nfs/real/home/x/u_1/b/x.companion', '/mnt/irods/home/x', expected)).toBe('u_1/b/x.companion');
    expect(archivePathOf('nfs/real/home/x/u_1/c.tif', '/mnt/irods/home/x', expected)).toBeUndefined();
  });
});

describe('pairImages', () => {
  it('pairs per file in id order, as unpack does (numerically, not as text), and a fileset by its directory', () => {
    const paired = pairImages(
      model,
      [
        { omeroId: '1001', name: 'multi.lif [1]', paths: ['u_1/a/multi.lif'] },
        { omeroId: '999', name: 'multi.lif [0]', paths: ['u_1/a/multi.lif'] },
        { omeroId: '1002', name: 'x.ome', paths: ['u_1/b/x.ome', 'u_1/b/x.companion'] },
      ],
      new Set(['u_1/a/multi.lif', 'u_1/b']),
    );
    expect(paired.images).toEqual([
      { source_id: '3', omero_id: '999', path: 'u_1/a/multi.lif' },
      { source_id: '20', omero_id: '1001', path: 'u_1/a/multi.lif' },
      { source_id: '4', omero_id: '1002', path: 'u_1/b' },
    ]);
    expect(paired.unmatched_source_images).toEqual([]);
    expect(paired.unmatched_omero_images).toEqual([]);
  });

  it('pairs nothing on a file whose counts differ, and does not miss images whose file the archive lacks', () => {
    const paired = pairImages(model, [{ omeroId: '7', name: 'multi.lif', paths: ['u_1/a/multi.lif'] }], new Set(['u_1/a/multi.lif']));
    expect(paired.images).toEqual([]);
    expect(paired.unmatched_source_images).toEqual([
      { source_id: '3', path: 'u_1/a/multi.lif' },
      { source_id: '20', path: 'u_1/a/multi.lif' },
    ]);
    expect(paired.unmatched_omero_images).toEqual([{ omero_id: '7', name: 'multi.lif' }]);
  });
});

describe('pairContainers', () => {
  it('finds the container holding the new children under the source name, preferring the one holding most', () => {
    const sources = sourceContainers(model);
    const imageMap = new Map([['20', '1001'], ['3', '999'], ['4', '1002']]);
    const datasets = pairContainers(sources.datasets, imageMap, [
      { containerId: '50', childId: '999', name: 'ds' },
      { containerId: '51', childId: '999', name: 'ds' },
      { containerId: '51', childId: '1001', name: 'ds' },
      { containerId: '52', childId: '1002', name: 'other' },
    ]);
    expect(datasets).toEqual([{ source_id: '5', omero_id: '51', name: 'ds' }]);
    expect(pairContainers(sources.projects, new Map([['5', '51']]), [])).toEqual([{ source_id: '1', omero_id: null, name: 'proj' }]);
  });
});

describe('registrationAvus', () => {
  it('puts image ids on their files (scoped by source image) and the rest on the root collection', () => {
    const targets = registrationAvus(
      {
        images: [
          { source_id: '3', omero_id: '999', path: 'u_1/a/multi.lif' },
          { source_id: '4', omero_id: '1002', path: 'u_1/b' },
        ],
        projects: [{ source_id: '1', omero_id: '70', name: 'proj' }],
        datasets: [{ source_id: '5', omero_id: null, name: 'ds' }],
        screens: [],
        plates: [],
        unmatched_source_images: [],
        unmatched_omero_images: [],
      },
      { server: 'omero:4064', mode: 'ln_s', registeredAt: '2024-01-02T03:04:05.000Z' },
      (p) => (p === 'u_1/b' ? 'collection' : 'data_object'),
    );
    expect(targets).toEqual([
      {
        path: '',
        kind: 'collection',
        avus: [
          { attribute: 'irods_omero_agent::omero_server', value: 'omero:4064' },
          { attribute: 'irods_omero_agent::omero_mode', value: 'ln_s' },
          { attribute: 'irods_omero_agent::omero_registered_at', value: '2024-01-02T03:04:05.000Z' },
          { attribute: 'irods_omero_agent::omero_project_id', value: '70', units: 'project:1' },
        ],
      },
      { path: 'u_1/a/multi.lif', kind: 'data_object', avus: [{ attribute: 'irods_omero_agent::omero_image_id', value: '999', units: 'image:3' }] },
      { path: 'u_1/b', kind: 'collection', avus: [{ attribute: 'irods_omero_agent::omero_image_id', value: '1002', units: 'image:4' }] },
    ]);
  });
});

describe('compareIds', () => {
  it('orders ids beyond 2^53 exactly', () => {
    expect(['18350171370993896933', '9', '18350171370993896932'].sort(compareIds)).toEqual(['9', '18350171370993896932', '18350171370993896933']);
  });
});
