import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../support/agent.js';
import { agentAvus, waitForJob } from '../../support/pipeline.js';
import type { StandinControl } from '../../standins/omero-cli/index.js';
import { useOmeroWorld } from './landing.js';

// When some imports fail, `omero transfer unpack` still exits 0, or crashes after its imports
// (a failed image with ROIs, a failed plate: omero-cli-transfer generate_omero_objects.py). Either
// way what was imported is in OMERO: the step records it (ids, counts, the importers' error
// lines) before it judges the outcome, and says what went wrong.

const world = useOmeroWorld('partial');
let agent: TestAgent;
let staging: string;

beforeAll(async () => {
  staging = await mkdtemp(join(tmpdir(), 'omero-partial-'));
  agent = await startTestAgent({
    label: 'omero-partial',
    irods: world.irods.client,
    workers: true,
    env: world.omero.agentEnv({ OMERO_MODE: 'upload', OMERO_MERGE: 'false', OMERO_STAGING_DIR: staging }),
  });
});
afterAll(async () => {
  await agent?.close();
  if (staging) await rm(staging, { recursive: true, force: true });
});

interface UnpackDetail {
  outcome: string;
  exit_code?: number | null;
  image_ids: string[];
  plate_ids: string[];
  fileset_ids: string[];
  imports: number;
  import_errors: number;
  no_imports: number;
  error_lines: string[];
}

interface StepDetail {
  omero_unpack?: UnpackDetail;
  omero_cli_error?: { command: string; code: string; exit_code: number; stderr_tail: string };
  omero?: { images: { source_id: string; omero_id: string; path: string }[]; import: { error_lines?: string[]; no_imports: number } };
}

/** Lands an archive while the stand-in behaves as `control` says, and waits for the job to fail. */
async function landFailing(fixture: string, control: StandinControl) {
  await world.omero.control(control);
  try {
    const { lpath, target, jobId } = await world.land(agent, fixture);
    const job = await waitForJob(agent.db.pool, jobId, ['failed']);
    const { rows } = await agent.db.pool.query<{ detail: StepDetail; attempts: number }>(
      "SELECT detail, attempts FROM job_steps WHERE job_id = $1 AND step = 'omero'",
      [jobId],
    );
    const step = rows[0] as { detail: StepDetail; attempts: number };
    return { job, step, target, error: await world.archiveError(lpath) };
  } finally {
    await world.omero.control({ fail: null, import_failures: {} });
  }
}

describe('partial failures of omero transfer unpack', () => {
  it('records what was imported before unpack crashed on a failed image with ROIs, and registers it', async () => {
    // cycle3 (source image 51) has 5 ROIs: create_rois looks its new id up and gets a KeyError.
    const { job, step, target, error } = await landFailing('valid_single_project.zip', { import_failures: { 'cycle3.ome_result_colored.png': 'no_reader' } });
    expect(job.error_code).toBe('omero_import_incomplete');
    expect(step.attempts).toBe(1);
    const unpack = step.detail.omero_unpack as UnpackDetail;
    expect(unpack).toMatchObject({ outcome: 'failed', exit_code: 1, imports: 2, import_errors: 1, no_imports: 1 });
    expect(unpack.image_ids).toHaveLength(2);
    expect(unpack.error_lines).toEqual(expect.arrayContaining(['No imports due to errors!', "KeyError: 'Image:51'"]));
    // unpack's own last words are kept too, as for any other CLI failure.
    expect(step.detail.omero_cli_error).toMatchObject({ command: 'transfer unpack', code: 'failed', exit_code: 1 });
    expect(step.detail.omero_cli_error?.stderr_tail).toMatch(/KeyError: 'Image:51'\n$/);
    // What was imported is registered: its ids on its files.
    const images = step.detail.omero?.images ?? [];
    expect(images.map((i) => i.source_id).sort()).toEqual(['1', '52']);
    for (const image of images) expect((await agentAvus(world.irods.client, `${target}/${image.path}`)).omero_image_id).toEqual([image.omero_id]);
    expect(error).toMatch(/^OMERO registered 2 of the 3 images of this archive \(not registered: root_0\/2023-12\/19\/14-55-33\.316\/cycle3\.ome_result_colored\.png\); 1 import error/);
    expect(error).toMatch(/stopped with an error \(KeyError: 'Image:51'\): omero-cli-transfer stops like this when an image that failed to import has ROIs/);
    expect(error).toMatch(/issue #12/);
  });

  it('reads the ids of the plate that was imported when the other plate of a screen failed and unpack crashed', async () => {
    const { job, step, target, error } = await landFailing('simple_screen.zip', { import_failures: { 'plateRows=8': 'no_reader' } });
    expect(job.error_code).toBe('omero_import_incomplete');
    const unpack = step.detail.omero_unpack as UnpackDetail;
    // The 1×1 plate's import: its Plate on stdout, its image and fileset on stderr.
    expect(unpack).toMatchObject({ outcome: 'failed', exit_code: 1, imports: 1 });
    expect(unpack.plate_ids).toHaveLength(1);
    expect(unpack.fileset_ids).toHaveLength(1);
    expect(unpack.image_ids).toHaveLength(1);
    const state = await world.omero.state();
    expect(state.plates[unpack.plate_ids[0] as string]?.images).toEqual(unpack.image_ids);
    const images = step.detail.omero?.images ?? [];
    expect(images.map((i) => i.omero_id)).toEqual(unpack.image_ids);
    expect((await agentAvus(world.irods.client, `${target}/${images[0]?.path}`)).omero_image_id).toEqual(unpack.image_ids);
    expect(error).toMatch(/^OMERO registered 1 of the 81 images/);
    expect(error).toMatch(/a plate failed to import/);
  });

  it('keeps the importer\'s words when an import found nothing ("No imports found") and unpack exited 0', async () => {
    // valid_single_dataset: one image, no ROIs, so unpack ends normally with nothing registered.
    const { job, step, error } = await landFailing('valid_single_dataset.zip', { import_failures: { 'cycle4.ome_cells.png': 'unreadable' } });
    expect(job.error_code).toBe('omero_import_failed');
    expect(step.detail.omero_unpack).toMatchObject({ outcome: 'finished', image_ids: [], imports: 0, import_errors: 1, no_imports: 1 });
    const lines = step.detail.omero?.import.error_lines ?? [];
    expect(lines).toContain('No imports found');
    expect(lines.some((l) => /UNREADABLE_FILE: .*cycle4\.ome_cells\.png$/.test(l))).toBe(true);
    expect(error).toMatch(/OMERO registered 0 of the 1 images of this archive .*; 1 import error\(s\) were reported \(the importer said: "UNREADABLE_FILE: /);
    expect(error).toMatch(/found nothing to import at a path transfer\.xml names/);
    // Nothing was imported: nothing to clean up before a replay.
    expect(error).not.toMatch(/issue #12/);
    expect(error).toMatch(/Nothing was imported/);
  });

  it('says a file was refused (PermissionError) without the advice to clean up imports, and does not retry', async () => {
    const { job, step, error } = await landFailing('valid_single_image.zip', { fail: 'transfer_xml_permission' });
    expect(job.error_code).toBe('omero_permission_denied');
    expect(step.attempts).toBe(1);
    expect(step.detail.omero_unpack).toMatchObject({ outcome: 'failed', exit_code: 1, image_ids: [] });
    expect(error).toMatch(/was refused access to a file \(PermissionError: \[Errno 13\] Permission denied: '.*\/transfer\.xml'\)/);
    expect(error).toMatch(/NFSRODS caches permissions .*300 s by default.*replay the job once that time has passed/);
    expect(error).toMatch(/Nothing was imported\.$/);
    expect(error).not.toMatch(/issue #12|remove them before replaying/);
  });
});
