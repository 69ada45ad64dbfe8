import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractWithSystemTool } from '../../support/archives/index.js';
import { landedEvent, startTestAgent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { replay, uploadFile, waitForJob } from '../../support/pipeline.js';

/**
 * Issue 16 item 10: after a resume, `jobs show` said "292/? entries, 210 MiB/397 MiB" for a job
 * that had succeeded: only what the last run wrote counted. Progress is what the job has done
 * in all its runs.
 */

const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

let irods: IrodsForTest;
let agent: TestAgent;

beforeAll(async () => {
  irods = await startIrodsForTest();
  agent = await startTestAgent({ label: 'progress', irods: irods.client, workers: true, env: { AGENT_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' } });
});
afterAll(async () => {
  await agent?.close();
  await irods?.close();
});

describe('progress after a resume', () => {
  it('counts the files an earlier run wrote, and ends complete: every entry and every byte', async () => {
    const alice = await irods.makeUser('alice');
    const local = `${FIXTURES}valid_single_image.tar`;
    const lpath = '/tempZone/home/alice/resumed.tar';
    const size = await uploadFile(alice.client, lpath, local);
    const jobId = (await agent.postEvent(landedEvent(lpath, { size }))).json.job_id as string;
    await waitForJob(agent.db.pool, jobId);

    const expected = await extractWithSystemTool(local, 'tar');
    const names = Object.keys(expected.files);
    const files = names.length;
    const bytes = Object.values(expected.files).reduce((sum, f) => sum + f.size, 0);
    expect(files).toBeGreaterThan(1);

    // One file lost since: the next run writes it again and finds the others in place.
    await irods.client.dataObjects.remove(`/tempZone/home/alice/resumed/${names[0] as string}`, { catalogOnly: false, noTrash: true });
    await replay(agent, jobId, 'expand');
    const job = await waitForJob(agent.db.pool, jobId);
    expect(job.progress).toEqual({ entriesDone: files, entriesTotal: files, bytesDone: bytes, bytesTotal: bytes });
    const { rows } = await agent.db.pool.query("SELECT detail FROM job_steps WHERE job_id = $1 AND step = 'expand' AND run = 2", [jobId]);
    expect(rows[0].detail).toMatchObject({ files_written: 1, files_skipped: files - 1 });
  });
});
