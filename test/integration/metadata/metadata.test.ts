import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip, removeTempArchives } from '../../support/archives/index.js';
import { tiffBytes } from '../../support/tiff-builder.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, replay, uploadFile, waitForJob } from '../../support/pipeline.js';

// The metadata step end to end: transfer.xml (and OME-TIFF headers) become `omero.` AVUs on the
// expanded tree, searchable the way scientists search; replays change nothing; a broken
// transfer.xml fails the step alone.

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;
let irods: IrodsForTest;
let agent: TestAgent;
let alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
let folders = 0;

beforeAll(async () => {
  irods = await startIrodsForTest();
  alice = await irods.makeUser('alice');
  agent = await startTestAgent({ label: 'metadata', irods: irods.client, workers: true });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
  await removeTempArchives();
});

async function land(localPath: string, name = basename(localPath)) {
  const folder = `/tempZone/home/alice/meta-${++folders}`;
  await alice.client.collections.create(folder);
  const lpath = `${folder}/${name}`;
  const size = await uploadFile(alice.client, lpath, localPath);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  return { lpath, target: lpath.replace(/\.(zip|tar)$/, ''), jobId: res.json.job_id as string };
}

/** AVUs of a data object under `prefix`, as "attribute=value|units" strings. */
async function objectAvus(lpath: string, prefix = 'omero.'): Promise<string[]> {
  const i = lpath.lastIndexOf('/');
  const rows = await irods.client.query.genqueryAll(
    `SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE, META_DATA_ATTR_UNITS WHERE COLL_NAME = '${lpath.slice(0, i)}' AND DATA_NAME = '${lpath.slice(i + 1)}' AND META_DATA_ATTR_NAME like '${prefix}%'`,
  );
  return rows.map(([a, v, u]) => `${a}=${v}|${u}`).sort();
}

async function collectionAvus(lpath: string): Promise<string[]> {
  const rows = await irods.client.query.genqueryAll(
    `SELECT META_COLL_ATTR_NAME, META_COLL_ATTR_VALUE, META_COLL_ATTR_UNITS WHERE COLL_NAME = '${lpath}' AND META_COLL_ATTR_NAME like 'omero.%'`,
  );
  return rows.map(([a, v, u]) => `${a}=${v}|${u}`).sort();
}

describe('metadata', () => {
  let project: { lpath: string; target: string; jobId: string };

  beforeAll(async () => {
    project = await land(`${FIXTURES}valid_single_project.zip`);
    await waitForJob(agent.db.pool, project.jobId);
  });

  it('puts the image facts of transfer.xml on the image files', async () => {
    const png = await objectAvus(`${project.target}/root_0/2023-12/19/14-55-33.316/cycle3.ome_result_colored.png`);
    expect(png).toEqual(
      expect.arrayContaining([
        'omero.image.id=51|image:51',
        'omero.image.name=cycle3.ome_result_colored.png|image:51',
        'omero.pixels.type=uint8|image:51',
        'omero.pixels.size_x=1024|image:51',
        'omero.dataset.id=51|image:51',
        'omero.dataset.name=empty_ds|image:51 dataset:51',
        'omero.project.id=1|dataset:51',
        'omero.project.name=testproj|dataset:51 project:1',
        'omero.roi.count=5|image:51',
      ]),
    );
    expect(png.filter((a) => a.startsWith('omero.map.'))).toHaveLength(4);
  });

  it('puts a summary and the provenance on the expanded root collection, and in the job for the archives feed', async () => {
    expect(await collectionAvus(project.target)).toEqual(
      expect.arrayContaining([
        'omero.summary.images=3|',
        'omero.project.name=testproj|project:1',
        'omero.transfer.origin_hostname=localhost|',
        'omero.transfer.original_user=root|',
        'omero.transfer.packing_timestamp=2023-12-19T10:02:04|',
        'omero.transfer.software=omero-cli-transfer|',
      ]),
    );
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'metadata'", [project.jobId]);
    expect(rows[0].detail.summary).toMatchObject({ projects: [{ id: '1', name: 'testproj' }], images: 3 });
  });

  it("reads the OME-TIFF header of the fixture's exported image (Bio-Formats, big-endian)", async () => {
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'metadata'", [project.jobId]);
    expect(rows[0].detail.ome_tiff_read).toBe(1);
    expect(await objectAvus(`${project.target}/pixel_images/52.tiff`)).toEqual(expect.arrayContaining(['omero.image.id=52|image:52']));
  });

  it('adds channel names and colours, physical pixel sizes and the acquisition date from an OME-TIFF header', async () => {
    const xml = [
      '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">',
      '<Image ID="Image:0" Name="series 1"><AcquisitionDate>2021-03-04T05:06:07</AcquisitionDate>',
      '<Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="2" SizeT="1" PhysicalSizeX="0.1" PhysicalSizeY="0.1">',
      '<Channel ID="Channel:0:0" Name="DAPI" Color="65535"/><Channel ID="Channel:0:1" Name="Cy5"/><TiffData IFD="0" PlaneCount="2"/>',
      '</Pixels></Image></OME>',
    ].join('');
    const transfer = [
      '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
      '<Image ID="Image:7" Name="exported"><Pixels ID="Pixels:7" DimensionOrder="XYCZT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="2" SizeT="1"><MetadataOnly/></Pixels>',
      '<AnnotationRef ID="Annotation:9"/></Image>',
      '<StructuredAnnotations><XMLAnnotation ID="Annotation:9" Namespace="openmicroscopy.org/cli/transfer"><Value>',
      '<CLITransferServerPath><Path>pixel_images/7.tiff</Path></CLITransferServerPath></Value></XMLAnnotation></StructuredAnnotations></OME>',
    ].join('');
    const zip = await buildZip([
      { name: 'transfer.xml', data: transfer },
      { name: 'pixel_images/7.tiff', data: tiffBytes({ big: false, little: true, description: xml, pixelBytes: 4096 }) },
    ]);
    const { target, jobId } = await land(zip, 'ometiff.zip');
    await waitForJob(agent.db.pool, jobId);
    expect(await objectAvus(`${target}/pixel_images/7.tiff`)).toEqual(
      expect.arrayContaining([
        'omero.channel.name=DAPI|image:7 channel:0',
        'omero.channel.name=Cy5|image:7 channel:1',
        'omero.image.acquisition_date=2021-03-04T05:06:07|image:7',
      ]),
    );
    expect((await objectAvus(`${target}/pixel_images/7.tiff`)).some((a) => a.startsWith('omero.pixels.physical_size_x=0.1|image:7 unit:'))).toBe(true);
  });

  it('answers the searches users run: images of a project, files with a key-value pair, images packed from a host', async () => {
    const ofProject = await irods.client.query.genqueryAll(
      "SELECT COLL_NAME, DATA_NAME WHERE META_DATA_ATTR_NAME = 'omero.project.name' AND META_DATA_ATTR_VALUE = 'testproj'",
    );
    expect(ofProject.filter(([c]) => c?.startsWith(project.target)).map(([, d]) => d).sort()).toEqual(['52.tiff', 'cycle3.ome_result_colored.png', 'cycle4.ome_cells.png']);

    const species = await irods.client.query.genqueryAll("SELECT COLL_NAME, DATA_NAME WHERE META_DATA_ATTR_NAME = 'omero.map.species' AND META_DATA_ATTR_VALUE = 'a'");
    expect(species.filter(([c]) => c?.startsWith(project.target)).map(([, d]) => d)).toEqual(['cycle3.ome_result_colored.png']);

    const roots = await irods.client.query.genqueryAll(
      "SELECT COLL_NAME WHERE META_COLL_ATTR_NAME = 'omero.transfer.origin_hostname' AND META_COLL_ATTR_VALUE = 'localhost'",
    );
    expect(roots.map(([c]) => c)).toContain(project.target);
    const images = await irods.client.query.genqueryAll(`SELECT COLL_NAME, DATA_NAME WHERE COLL_NAME like '${project.target}%' AND META_DATA_ATTR_NAME = 'omero.image.id'`);
    expect(images).toHaveLength(3);
  });

  it('changes nothing on a replay and never touches AVUs users added', async () => {
    const png = `${project.target}/root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png`;
    await alice.client.dataObjects.modifyMetadata(png, [{ operation: 'add', attribute: 'lab.note', value: 'keep me' }]);
    const before = await objectAvus(png, '');
    await replay(agent, project.jobId, 'metadata');
    await waitForJob(agent.db.pool, project.jobId);
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'metadata' AND run = 2", [project.jobId]);
    expect(rows[0].detail).toMatchObject({ avus_added: 0, avus_removed: 0, objects_changed: 0 });
    expect(await objectAvus(png, '')).toEqual(before);
    expect(before).toContain('lab.note=keep me|');
  });

  it('attaches what it can to an incomplete archive and flags it with the list of missing files', async () => {
    const { lpath, jobId } = await land(`${FIXTURES}incomplete_project.zip`);
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.flags).toContain('incomplete');
    const status = await agentAvus(irods.client, lpath);
    expect(status.flag).toContain('incomplete');
    expect(status.warning?.join(' ')).toContain('root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png');
    expect(status.status).toEqual(['expanded']);
  });

  it('fails the metadata step alone on a broken transfer.xml: files expanded, reason recorded, replayable', async () => {
    const zip = await buildZip([
      { name: 'transfer.xml', data: '<OME><Image ID="Image:1" Name="x"><Pixels' },
      { name: 'root_0/x.tif', data: 'pixels' },
    ]);
    const { lpath, target, jobId } = await land(zip, 'broken.zip');
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    expect(job).toMatchObject({ step: 'metadata', error_code: 'transfer_xml_invalid', error_entry: 'transfer.xml' });
    expect(await irods.client.collections.list(`${target}/root_0`)).toEqual([`${target}/root_0/x.tif`]);
    const status = await agentAvus(irods.client, lpath);
    expect(status).toMatchObject({ status: ['failed'], step: ['metadata'] });
    expect(status.error?.[0]).toMatch(/transfer\.xml could not be read/);
  });
});
