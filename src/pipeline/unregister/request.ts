import { omeroServerNames } from '../../config/index.js';
import { Refused } from '../refused.js';
import type pg from 'pg';
import { IrodsError } from '../../irods/index.js';
import type { IrodsClient } from '../../irods/types.js';
import { jobSteps, lifecycle } from '../../store/index.js';
import { jobForArchiveOrTree, type JobListing } from '../../store/repositories/job-search.js';
import type { ReplayDeps } from '../replay.js';
import { omeroServerTarget } from './server-target.js';
import { isRegistered, treeRegistration } from './tree-registration.js';

export type UnregisterRefusalCode =
  | 'not_found'
  | 'unknown_server'
  | 'omero_disabled'
  | 'not_expanded'
  | 'not_registered'
  | 'job_busy'
  | 'unsupported_path'
  | 'irods_unavailable';

/** Why an unregister was refused (the HTTP layer: not_found 404, unknown_server 400, irods_unavailable 503, the rest 409). */
export class UnregisterRefused extends Refused<UnregisterRefusalCode> {
  override readonly name = 'UnregisterRefused';
}

/** What a replay needs, and iRODS to read the registration from. */
export type UnregisterDeps = ReplayDeps & { readonly irods: IrodsClient | undefined };

/** How a request ended: a run of the job queued at `unregister`, or nothing left to do. */
export interface UnregisterAnswer {
  readonly outcome: 'queued' | 'already_unregistered';
  readonly jobId: string;
  readonly run: number;
  readonly server: string;
  readonly archivePath: string;
  readonly targetPath: string;
  readonly message: string;
}

/** An archive (its id, or its path) or the root collection of its expanded tree. */
export type UnregisterTarget = { readonly archiveId: number } | { readonly path: string };

const describe = (target: UnregisterTarget) => ('archiveId' in target ? `archive ${target.archiveId}` : target.path);

/**
 * `omero unregister`: checks what can be checked now (the server, the job, that the tree is
 * registered there, from its AVUs), then starts a run of the archive's job at the unregister
 * step, recorded with who asked (lifecycle.requestUnregister), and hands it to BullMQ (or leaves
 * it in the outbox). A tree this job already unregistered answers `already_unregistered`.
 */
export async function requestOmeroUnregister(deps: UnregisterDeps, target: UnregisterTarget, options: { server?: string | undefined; actor: string }): Promise<UnregisterAnswer> {
  const server = omeroServerTarget(deps.config, options.server);
  if (!server) {
    throw new UnregisterRefused('unknown_server', `no OMERO server "${options.server ?? ''}" in the configuration (known: ${omeroServerNames(deps.config).join(', ')})`);
  }
  if (!deps.config.omero.enabled) throw new UnregisterRefused('omero_disabled', 'the OMERO step is switched off on this agent (OMERO_ENABLED), so it cannot talk to OMERO');
  const job = await jobForArchiveOrTree(deps.pool, target);
  if (!job) throw new UnregisterRefused('not_found', `no archive or expanded tree known to the agent at ${describe(target)}`);
  const root = job.target_path;
  if (!root) throw new UnregisterRefused('not_expanded', `the archive ${job.archive.logical_path} has not been expanded, so nothing of it is registered in OMERO`);
  if (job.state === 'queued' || job.state === 'running') {
    throw new UnregisterRefused('job_busy', `the archive's job ${job.id} is ${job.state} (at ${job.step}); wait for it to finish, or cancel it, then ask again`);
  }
  if (!deps.irods) throw new UnregisterRefused('irods_unavailable', 'this agent process has no iRODS client, so it cannot read the registration');
  let found;
  try {
    found = await treeRegistration(deps.irods, root, server);
  } catch (err) {
    if (err instanceof IrodsError) throw new UnregisterRefused('irods_unavailable', `the registration AVUs of ${root} could not be read: ${err.message}`);
    if (err instanceof RangeError) throw new UnregisterRefused('unsupported_path', `${root} holds a single quote, which GenQuery1 cannot ask about: ${err.message}`);
    throw err;
  }
  const base = { jobId: job.id, server: server.name, archivePath: job.archive.logical_path, targetPath: root };
  if (!isRegistered(found)) {
    const done = await lastUnregister(deps.pool, job, server.name);
    if (done) {
      return { ...base, outcome: 'already_unregistered', run: job.run, message: `${root} was already unregistered from the OMERO server "${server.name}" (job ${job.id}, run ${done.run}, at ${done.at}); nothing to do` };
    }
    throw new UnregisterRefused('not_registered', `${root} carries no registration in the OMERO server "${server.name}" (no ${server.attribute('server')} AVU nor OMERO ids)`);
  }
  if (found.address !== undefined && found.address !== server.address) {
    throw new UnregisterRefused('not_registered', `${root} was registered in OMERO at ${found.address}, not in the server "${server.name}" (${server.address})`);
  }
  const restarted = await lifecycle.requestUnregister(deps.pool, job.id, { server: server.name, actor: options.actor });
  if (!restarted) throw new UnregisterRefused('job_busy', `the archive's job ${job.id} changed meanwhile (replayed or running); ask again once it has finished`);
  deps.metrics.adminActions.inc({ action: 'omero_unregister', outcome: 'requested' });
  deps.log.info({ job_id: job.id, run: restarted.job.run, server: server.name, actor: options.actor, target: root }, 'omero unregister requested');
  const at = { jobId: job.id, run: restarted.job.run, step: 'unregister' as const };
  try {
    await deps.queues.enqueue(at);
    await lifecycle.markEnqueued(deps.pool, at);
  } catch (err) {
    deps.log.warn({ err, job_id: job.id }, 'could not enqueue the unregister; left in the outbox');
  }
  return { ...base, outcome: 'queued', run: restarted.job.run, message: `unregistering ${root} from the OMERO server "${server.name}": job ${job.id}, run ${restarted.job.run}` };
}

/** The job's last successful unregister from that server, if no registration came after it. */
async function lastUnregister(pool: pg.Pool, job: JobListing, server: string): Promise<{ run: number; at: string } | undefined> {
  const steps = await jobSteps.stepsForJob(pool, job.id);
  const done = steps
    .filter((s) => s.step === 'unregister' && s.state === 'succeeded')
    .filter((s) => (s.detail.omero_unregister as { server?: unknown } | undefined)?.server === server)
    .sort((a, b) => b.run - a.run)[0];
  if (!done) return undefined;
  return { run: done.run, at: (done.finished_at ?? done.started_at ?? new Date()).toISOString() };
}
