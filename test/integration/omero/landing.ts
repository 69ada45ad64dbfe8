import { basename } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { IrodsClient } from '../../../src/irods/types.js';
import { landedEvent, type TestAgent } from '../../support/agent.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { agentAvus, uploadFile } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';
import { startOmeroStandin, type OmeroStandin, type StandinControl } from '../../standins/omero-cli/index.js';

/** Real archives from omero-cli-transfer's authors (see ../../../../shared/fixtures). */
export const FIXTURES = new URL('../../../../shared/fixtures/omero-cli-transfer/', import.meta.url).pathname;

export interface Landed {
  readonly lpath: string;
  /** The collection the archive expands into. */
  readonly target: string;
  readonly jobId: string;
}

/** What every OMERO test file needs: the iRODS stand-in, a scientist, the OMERO CLI stand-in. */
export interface OmeroWorld {
  readonly irods: IrodsForTest;
  readonly omero: OmeroStandin;
  readonly alice: Awaited<ReturnType<IrodsForTest['makeUser']>>;
  /** Uploads a fixture (a name in FIXTURES, or a path) into a new collection of alice's and tells the agent it landed. */
  readonly land: (agent: TestAgent, fixture: string) => Promise<Landed>;
  /** The archive's error AVU: written just after the job row says failed, so waited for. */
  readonly archiveError: (lpath: string) => Promise<string>;
}

/**
 * Starts the world in this file's beforeAll and stops it in its afterAll; its fields are there
 * from the first test (or a later beforeAll) on. `control`: the OMERO stand-in's first behaviour.
 */
export function useOmeroWorld(name: string, control?: (irods: IrodsForTest) => StandinControl): OmeroWorld {
  let started: { irods: IrodsForTest; omero: OmeroStandin; alice: OmeroWorld['alice'] } | undefined;
  let folders = 0;
  const get = () => {
    if (!started) throw new Error('the OMERO test world is used before its beforeAll ran');
    return started;
  };
  beforeAll(async () => {
    const irods = await startIrodsForTest();
    const alice = await irods.makeUser('alice');
    const omero = await startOmeroStandin(control ? { control: control(irods) } : {});
    started = { irods, alice, omero };
  });
  afterAll(async () => {
    await started?.irods.close();
    await started?.omero.close();
  });
  return {
    get irods() {
      return get().irods;
    },
    get omero() {
      return get().omero;
    },
    get alice() {
      return get().alice;
    },
    land: (agent, fixture) => landArchive(agent, get().alice.client, `/tempZone/home/alice/${name}-${++folders}`, fixture),
    archiveError: (lpath) => waitFor(`the error AVU on ${lpath}`, async () => (await agentAvus(get().irods.client, lpath)).error?.[0]),
  };
}

async function landArchive(agent: TestAgent, owner: IrodsClient, collection: string, fixture: string): Promise<Landed> {
  await owner.collections.create(collection);
  const lpath = `${collection}/${basename(fixture)}`;
  const size = await uploadFile(owner, lpath, fixture.startsWith('/') ? fixture : `${FIXTURES}${fixture}`);
  const res = await agent.postEvent(landedEvent(lpath, { size }));
  return { lpath, target: lpath.replace(/\.(zip|tar)$/, ''), jobId: res.json.job_id as string };
}

/** How many times the omero step ran for a job (undefined: never). */
export async function omeroAttempts(agent: TestAgent, jobId: string): Promise<number | undefined> {
  const { rows } = await agent.db.pool.query<{ attempts: number }>("SELECT attempts FROM job_steps WHERE job_id = $1 AND step = 'omero'", [jobId]);
  return rows[0]?.attempts;
}
