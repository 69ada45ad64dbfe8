import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type pg from 'pg';
import type { IrodsClient } from '../../src/irods/types.js';
import { createLogger } from '../../src/logging/logger.js';
import { replayJob } from '../../src/pipeline/replay.js';
import type { JobRow } from '../../src/store/index.js';
import type { TreeSnapshot } from './archives/index.js';
import type { TestAgent } from './agent.js';
import { waitFor } from './wait.js';

/** The admin replay (restart, then enqueue), as POST /v1/jobs/{id}/replay does it. */
export async function replay(on: TestAgent, jobId: string, from: string): Promise<void> {
  const deps = { config: on.config, pool: on.db.pool, queues: on.queues, metrics: on.metrics, log: createLogger({ level: 'silent' }) };
  await replayJob(deps, jobId, { from, actor: 'test' });
}

/** Uploads a local file as `client`'s user, the way a scientist's save-as would. */
export async function uploadFile(client: IrodsClient, lpath: string, localPath: string): Promise<number> {
  const { size } = await stat(localPath);
  await client.dataObjects.writeStream(lpath, createReadStream(localPath), { size });
  return size;
}

/** Describes an iRODS collection tree like extractWithSystemTool describes a local one. */
export async function irodsTree(client: IrodsClient, root: string): Promise<TreeSnapshot> {
  const files: Record<string, { size: number; sha256: string }> = {};
  const directories: string[] = [];
  for (const lpath of await client.collections.list(root, { recurse: true })) {
    const rel = lpath.slice(root.length + 1);
    let isCollection = false;
    try {
      await client.collections.stat(lpath);
      isCollection = true;
    } catch {
      isCollection = false;
    }
    if (isCollection) {
      directories.push(rel);
      continue;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await client.dataObjects.readStream(lpath)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    files[rel] = { size, sha256: hash.digest('hex') };
  }
  return { files, directories: directories.sort() };
}

/** Waits until the job reaches one of `states` and returns it. */
export async function waitForJob(pool: pg.Pool, jobId: string, states: JobRow['state'][] = ['succeeded'], timeoutMs = 60_000): Promise<JobRow> {
  const terminal: JobRow['state'][] = ['succeeded', 'failed', 'cancelled'];
  const job = await waitFor(
    `job ${jobId} to be ${states.join(' or ')}`,
    async () => {
      const { rows } = await pool.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [jobId]);
      const found = rows[0];
      return found && (states.includes(found.state) || terminal.includes(found.state)) ? found : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (!states.includes(job.state)) {
    throw new Error(`job ${jobId} ended ${job.state} at ${job.step}: ${job.error_code ?? ''} ${job.error_message ?? ''}`);
  }
  return job;
}

/** The agent's AVUs on a data object, as attribute → values. */
export async function agentAvus(client: IrodsClient, lpath: string): Promise<Record<string, string[]>> {
  const i = lpath.lastIndexOf('/');
  const rows = await client.query.genqueryAll(
    `SELECT META_DATA_ATTR_NAME, META_DATA_ATTR_VALUE WHERE COLL_NAME = '${lpath.slice(0, i)}' AND DATA_NAME = '${lpath.slice(i + 1)}' AND META_DATA_ATTR_NAME like 'irods_omero_agent::%'`,
  );
  const out: Record<string, string[]> = {};
  for (const [a = '', v = ''] of rows) (out[a.slice('irods_omero_agent::'.length)] ??= []).push(v);
  for (const values of Object.values(out)) values.sort();
  return out;
}
