import { Refused } from './refused.js';
import type pg from 'pg';
import { omeroServerNamed, omeroServerNames, type Config, type OmeroServer } from '../config/index.js';
import { collectionAttributeValues } from '../irods/index.js';
import type { IrodsClient } from '../irods/types.js';
import { registrationAttribute } from '../omero/index.js';
import { archives, lifecycle, omeroRegistrations, type ArchiveRow, type JobRow } from '../store/index.js';
import { getJobListing, latestArchivesForPaths, latestJobIdsForPaths, stepsForRuns } from '../store/repositories/job-search.js';
import { enqueueStart } from './enqueue-start.js';
import type { ReplayDeps } from './replay.js';

export type RegisterRefusalCode = 'not_found' | 'not_expanded' | 'superseded' | 'unknown_server' | 'not_mounted' | 'already_registered' | 'in_progress' | 'omero_disabled';

/** Why an archive may not be registered on demand (the HTTP layer: not_found 404, unknown_server and not_mounted 400, the rest 409). */
export class RegisterRefused extends Refused<RegisterRefusalCode> {
  override readonly name = 'RegisterRefused';
}

/** What a replay needs, and iRODS to see whether the tree is registered already (optional: PostgreSQL answers without it). */
export type RegisterDeps = ReplayDeps & { readonly irods: IrodsClient | undefined };

export interface RegisterRequest {
  readonly server?: string | undefined;
  readonly mode?: 'ln_s' | 'upload' | undefined;
  readonly group?: string | undefined;
  readonly actor: string;
}

export interface RegisterStarted {
  readonly job: JobRow;
  readonly server: OmeroServer;
  readonly archive: ArchiveRow;
  readonly sourceJobId: string;
}

/** The archive an operator named: its id, or its logical path (the newest version recorded there). */
async function findArchive(pool: pg.Pool, ref: string): Promise<ArchiveRow | undefined> {
  if (/^\d{1,18}$/.test(ref)) return archives.getArchive(pool, Number(ref));
  if (ref.startsWith('/')) return (await latestArchivesForPaths(pool, [ref.replace(/\/+$/, '')])).get(ref.replace(/\/+$/, ''));
  return undefined;
}

/** The server asked for (default: the default one), refused when the configuration does not name it or cannot register that way. */
function chooseServer(config: Config, request: RegisterRequest): OmeroServer {
  const server = omeroServerNamed(config, request.server);
  if (!server) {
    throw new RegisterRefused('unknown_server', `no OMERO server is named '${String(request.server)}' (known: ${omeroServerNames(config).join(', ')})`);
  }
  if ((request.mode ?? server.mode) === 'ln_s' && server.irodsMount === undefined) {
    throw new RegisterRefused('not_mounted', `the OMERO server '${server.name}' has no mount, which an in-place (ln_s) registration needs; ask for mode upload`);
  }
  return server;
}

/**
 * Whether the expanded tree is registered in that server already: its root carries the
 * server's registration AVU (iRODS is the truth: an unregister removes it). When iRODS cannot
 * be asked, what PostgreSQL recorded: the landing job's own registration (default server) or a
 * succeeded registration on demand there.
 */
async function alreadyRegistered(deps: RegisterDeps, landing: JobRow & { target_path: string }, server: OmeroServer): Promise<boolean> {
  if (deps.irods) {
    try {
      // Exactly that server's attribute: the default server's name is a prefix of the others'.
      return (await collectionAttributeValues(deps.irods.query, landing.target_path, registrationAttribute('server', server))).length > 0;
    } catch (err) {
      deps.log.warn({ err, job_id: landing.id }, 'could not read the registration AVUs; deciding from what the agent recorded');
    }
  }
  if (server.isDefault) {
    const steps = await stepsForRuns(deps.pool, [{ jobId: landing.id, run: landing.run }]);
    if (steps.some((s) => s.step === 'omero' && s.state === 'succeeded' && typeof s.detail.omero === 'object')) return true;
  }
  const onDemand = await omeroRegistrations.registrationsOfJobs(deps.pool, [landing.id]);
  return onDemand.some((r) => r.omero_request.server === server.name && r.state === 'succeeded');
}

/**
 * Registers an archive that expanded earlier in an OMERO server, on an operator's request: a
 * job of its own (kind omero_register) that runs the omero step alone on the landing job's
 * expanded tree, recorded, audited and replayable like any other. Refused (RegisterRefused)
 * before anything is created when it cannot or need not be done.
 */
export async function registerOnDemand(deps: RegisterDeps, archiveRef: string, request: RegisterRequest): Promise<RegisterStarted> {
  try {
    return await start(deps, archiveRef, request);
  } catch (err) {
    if (err instanceof RegisterRefused) deps.metrics.adminActions.inc({ action: 'omero_register', outcome: 'refused' });
    throw err;
  }
}

async function start(deps: RegisterDeps, archiveRef: string, request: RegisterRequest): Promise<RegisterStarted> {
  if (!deps.config.omero.enabled) throw new RegisterRefused('omero_disabled', 'the omero step is switched off on this agent (OMERO_ENABLED)');
  const server = chooseServer(deps.config, request);
  const archive = await findArchive(deps.pool, archiveRef);
  if (!archive) throw new RegisterRefused('not_found', `no archive ${archiveRef} is known to the agent`);
  const landingId = (await latestJobIdsForPaths(deps.pool, [archive.logical_path])).get(archive.logical_path);
  const landing = landingId === undefined ? undefined : await getJobListing(deps.pool, landingId);
  if (!landing) throw new RegisterRefused('not_expanded', `${archive.logical_path} has no job: it was never expanded`);
  if (landing.archive.id !== archive.id) {
    throw new RegisterRefused('superseded', `a newer version of ${archive.logical_path} has been uploaded since (archive ${landing.archive.id}); register that one`);
  }
  const target = landing.target_path;
  if (landing.state !== 'succeeded' || target === null) {
    throw new RegisterRefused('not_expanded', `${archive.logical_path} has not expanded (its job ${landing.id} is ${landing.state}); only an expanded archive can be registered`);
  }
  if (await alreadyRegistered(deps, { ...landing, target_path: target }, server)) {
    throw new RegisterRefused(
      'already_registered',
      `${target} is registered in the OMERO server '${server.name}' already; to register it there again, unregister it first: irods-omero-agent omero unregister ${target} --server ${server.name}`,
    );
  }
  const created = await lifecycle.createRegisterJob(
    deps.pool,
    { jobId: landing.id, logicalPath: archive.logical_path },
    { server: server.name, mode: request.mode ?? null, group: request.group ?? null },
    request.actor,
  );
  if ('code' in created) {
    if (created.code === 'in_progress') throw new RegisterRefused('in_progress', `a registration of ${target} in '${server.name}' is under way already (job ${created.jobId})`);
    if (created.code === 'superseded') throw new RegisterRefused('superseded', `a newer version of ${archive.logical_path} has its own job (${created.newest}); register that one`);
    throw new RegisterRefused('not_expanded', `${archive.logical_path} has not expanded (its job is ${created.state})`);
  }
  deps.metrics.adminActions.inc({ action: 'omero_register', outcome: 'queued' });
  deps.metrics.jobs.inc({ step: 'omero', state: 'queued' });
  deps.log.info({ job_id: created.job.id, source_job: landing.id, omero_server_name: server.name, actor: request.actor, archive: archive.logical_path }, 'registration in OMERO requested');
  await enqueueStart(deps, created.job, 'omero');
  return { job: created.job, server, archive, sourceJobId: landing.id };
}
