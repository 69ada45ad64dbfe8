import type pg from 'pg';
import type { BrokenArchive } from '../intake/object-events.js';
import { dataObjectAvus, planAvuSync } from '../irods/index.js';
import { isNotFound } from '../irods/errors.js';
import type { Avu, IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import { registrationBreaks, type RegistrationBreakRow } from '../store/index.js';
import { REGISTRATION_PREFIX } from './archive-status.js';
import { applyAvuPlan } from './avu-writes.js';

/**
 * On the archive, what OMERO-side tools and people read (`imeta ls -d <archive>`): the state of
 * its OMERO registration and a sentence saying what broke it. Deliberately not under
 * `irods_omero_agent::omero_`, which the rules read as "this object is registered" (they would
 * then report metadata changes on the archive itself); status writes leave them (archive-status.ts).
 */
export const REGISTRATION_ATTRIBUTES = {
  state: REGISTRATION_PREFIX,
  error: `${REGISTRATION_PREFIX}_error`,
} as const;

/** iRODS refuses longer AVU values in common catalog configurations (as archive-status.ts). */
const MAX_VALUE = 2_000;

function describe(b: RegistrationBreakRow): string {
  const what = b.entity_type === 'collection' ? `the collection ${b.logical_path}` : b.logical_path;
  const how = b.operation === 'renamed' ? `was renamed${b.destination_logical_path ? ` to ${b.destination_logical_path}` : ''}` : 'was removed';
  return `${what} ${how} by ${b.changed_by} at ${b.changed_at.toISOString()}`;
}

/** The AVUs that say an archive's registration is broken, from its breaks (oldest first). */
export function brokenRegistrationAvus(breaks: readonly RegistrationBreakRow[]): Avu[] {
  const latest = breaks[breaks.length - 1];
  if (!latest) return [];
  const more = breaks.length > 1 ? ` (${breaks.length} such changes in all; the archives feed, GET /v1/archives, lists them)` : '';
  const sentence =
    `OMERO reads this archive's files where iRODS keeps them (registered in place), and ${describe(latest)}${more}: ` +
    'its images in OMERO can no longer be read there. Move the data back, or register the archive again.';
  return [
    { attribute: REGISTRATION_ATTRIBUTES.state, value: 'broken' },
    { attribute: REGISTRATION_ATTRIBUTES.error, value: sentence.length > MAX_VALUE ? `${sentence.slice(0, MAX_VALUE - 15)}… [truncated]` : sentence },
  ];
}

export interface BrokenRegistrationDeps {
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly log: Logger;
}

/**
 * Writes the archive's registration AVUs from its recorded breaks (one atomic modify_metadata,
 * only the difference), then remembers they are written. An archive that is gone is remembered
 * with the reason (the feed still shows the break); any other failure (iRODS away) leaves the
 * breaks pending for writePendingBrokenRegistrations.
 */
export async function writeBrokenRegistration(deps: BrokenRegistrationDeps, archive: BrokenArchive): Promise<void> {
  const breaks = await registrationBreaks.breaksOfArchive(deps.pool, archive.archiveId);
  const latest = breaks[breaks.length - 1];
  if (!latest) return;
  if (!(await exists(deps.irods, archive.archivePath))) {
    await registrationBreaks.recordBreakAvus(deps.pool, archive.archiveId, latest.id, 'the archive is no longer in iRODS, so no AVU could say it');
    deps.log.info({ archive: archive.archivePath }, 'omero registration broken; the archive is gone, the feed shows it');
    return;
  }
  const current = await dataObjectAvus(deps.irods.query, archive.archivePath, REGISTRATION_PREFIX);
  await applyAvuPlan(deps.irods, archive.archivePath, 'data_object', planAvuSync(current, brokenRegistrationAvus(breaks), [REGISTRATION_PREFIX]));
  await registrationBreaks.recordBreakAvus(deps.pool, archive.archiveId, latest.id);
  deps.log.info({ archive: archive.archivePath, breaks: breaks.length }, 'omero registration marked broken on the archive');
}

/**
 * Removes the broken mark from the archive (`omero unregister` removed the registration it was
 * about); true when there was one. An archive that is gone has nothing to clear.
 */
export async function clearBrokenRegistration(irods: IrodsClient, archivePath: string): Promise<boolean> {
  if (!(await exists(irods, archivePath))) return false;
  const current = await dataObjectAvus(irods.query, archivePath, REGISTRATION_PREFIX);
  return (await applyAvuPlan(irods, archivePath, 'data_object', planAvuSync(current, [], [REGISTRATION_PREFIX]))) > 0;
}

/** A stat first: modify_metadata on a missing object is a plain "invalid input" in the HTTP API. */
async function exists(irods: IrodsClient, lpath: string): Promise<boolean> {
  try {
    await irods.dataObjects.stat(lpath);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The intake's `onBroken`: each archive in turn (a failure is logged and left for the periodic pass). */
export function markArchivesBroken(deps: BrokenRegistrationDeps): (archives: readonly BrokenArchive[]) => Promise<void> {
  return async (archives) => {
    for (const archive of archives) {
      await writeBrokenRegistration(deps, archive).catch((err: unknown) =>
        deps.log.warn({ err, archive: archive.archivePath }, 'could not mark the omero registration broken on the archive; will try again'),
      );
    }
  };
}

/** Writes what the intake could not (iRODS was away). */
export async function writePendingBrokenRegistrations(deps: BrokenRegistrationDeps, batch = 50): Promise<number> {
  const pending = await registrationBreaks.archivesWithUnwrittenBreaks(deps.pool, batch);
  await markArchivesBroken(deps)(pending.map((p) => ({ archiveId: p.archive_id, archivePath: p.archive_path })));
  return pending.length;
}

/** How often the processes that run workers write the broken-registration AVUs iRODS did not take. */
const PENDING_BREAKS_MS = 15_000;

/**
 * The periodic pass of writePendingBrokenRegistrations, at start and every few seconds, in the
 * processes that run workers. Several processes may write at once: the write is a difference
 * against what the archive holds, so the later one finds nothing to do (or fails, and the next
 * pass settles it).
 */
export function startPendingBreakWriter(deps: BrokenRegistrationDeps, intervalMs = PENDING_BREAKS_MS): { close(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const pass = () => {
    running ??= writePendingBrokenRegistrations(deps)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not write pending broken-registration AVUs; will try again'))
      .finally(() => (running = undefined));
  };
  pass();
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
