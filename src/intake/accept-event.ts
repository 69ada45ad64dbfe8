import type pg from 'pg';
import type { Config } from '../config/index.js';
import { IrodsError, isNotFound, isUnauthorized } from '../irods/errors.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import {
  acceptNewArchives,
  archives,
  events,
  jobs,
  lifecycle,
  lockArchivePath,
  isDataRefusal,
  sqlStateOf,
  withTransaction,
  type EventVerdict,
  type NewArchiveEvent,
  type NewArchiveRecorded,
} from '../store/index.js';
import { sameVersion, type VersionFacts } from './archive-version.js';
import { GroupCommit } from './group-commit.js';
import { EventUnrecordable, ServiceUnavailable } from './intake-errors.js';
import { LANDED_EVENT, uploaderOf, type EventBody } from './landed-event.js';
import { classifyPath } from './watch-filter.js';

/** What the intake needs of the job queue (the pipeline's queues provide it). */
export interface IntakeQueue {
  /** The step a new job starts with. */
  readonly firstStep: string;
  /** Schedules the first step of new jobs, after `delayMs` (the debounce window). */
  enqueueFirst(jobs: readonly FirstStep[], delayMs: number): Promise<void>;
}

export interface IntakeDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: IntakeQueue;
  readonly irods: IrodsClient | undefined;
  readonly log: Logger;
  /** Called (not awaited) once a new job is committed and scheduled, e.g. to tell the uploader. */
  readonly onAccepted?: ((job: { jobId: string; logicalPath: string }) => Promise<void>) | undefined;
}

export interface IntakeOutcome {
  readonly httpStatus: 200 | 202;
  readonly verdict: EventVerdict;
  readonly reason: string | undefined;
  readonly jobId: string | undefined;
  readonly eventId: string;
}

export interface IncomingEvent {
  readonly webhookId: string;
  readonly headers: Record<string, string>;
  readonly rawBody: string;
  readonly body: EventBody;
}

/** A new job whose first step is to be scheduled. */
export interface FirstStep {
  readonly jobId: string;
  readonly run: number;
}

// Group commit: one call at a time, while the next group gathers (bigger groups, less CPU per
// event; bench/README.md, intake); an event that arrives alone leaves at once.
const GROUP_COMMIT = { maxBatch: 64, maxInFlight: 1 } as const;

interface Decision {
  verdict: EventVerdict;
  reason: string | undefined;
  jobId?: string | undefined;
  archiveId?: number | undefined;
  enqueue?: FirstStep | undefined;
}

/**
 * The intake's decisions. What a verified event means is recorded: a new job (202), the same
 * archive again (200 duplicate), a replayed webhook id (200), or nothing to do (200 ignored).
 * Decisions about one archive path are serialised by an advisory lock, so concurrent reports of
 * one upload (put + close, one close per HTTP API chunk) become one job. A path never seen
 * before (the common case) is recorded in one round trip, shared with the other new paths that
 * arrive meanwhile (group commit); every other case takes the full decision. The BullMQ job is
 * added only after the rows are committed (again shared); if that add fails, the job stays in
 * the outbox, which the workers flush.
 */
export class Intake {
  private readonly newArchives: GroupCommit<NewArchiveEvent, NewArchiveRecorded | undefined>;
  private readonly firstSteps: GroupCommit<FirstStep, void>;

  constructor(private readonly deps: IntakeDeps) {
    const delayMs = deps.config.webhook.debounceSeconds * 1000;
    this.newArchives = new GroupCommit((batch) => acceptNewArchives(deps.pool, batch), GROUP_COMMIT);
    this.firstSteps = new GroupCommit(async (batch) => {
      await deps.queues.enqueueFirst(batch, delayMs);
      return batch.map(() => ({ status: 'fulfilled', value: undefined }) as const);
    }, GROUP_COMMIT);
  }

  /**
   * Decides and records one event. Values PostgreSQL refuses (which the contract should already
   * have caught) make this event alone an EventUnrecordable (400), never a failure of the others.
   */
  async accept(incoming: IncomingEvent): Promise<IntakeOutcome> {
    try {
      return await this.decideAndRecord(incoming);
    } catch (err) {
      if (isDataRefusal(err)) throw new EventUnrecordable(sqlStateOf(err), err);
      throw err;
    }
  }

  private async decideAndRecord(incoming: IncomingEvent): Promise<IntakeOutcome> {
    const { deps } = this;
    const { body } = incoming;
    const data = body.data;
    const base = {
      webhookId: incoming.webhookId,
      eventType: body.type,
      logicalPath: data.logical_path,
      headers: incoming.headers,
      body: incoming.rawBody,
    };

    const record = async (db: pg.Pool | pg.PoolClient, d: Decision): Promise<IntakeOutcome> => {
      const httpStatus = d.verdict === 'accepted' ? 202 : 200;
      const eventId = await events.recordEvent(db, { ...base, ...d, httpStatus });
      return { httpStatus, verdict: d.verdict, reason: d.reason, jobId: d.jobId, eventId };
    };

    // Cheap verdicts first: nothing below needs iRODS or a lock.
    const early = earlyVerdict(deps.config, body);
    if (early) {
      return withTransaction(deps.pool, async (tx) => {
        if (!(await events.claimDelivery(tx, incoming.webhookId))) {
          return record(tx, { verdict: 'replayed', reason: 'webhook id already seen' });
        }
        return record(tx, early);
      });
    }

    const facts = await versionFacts(deps, body);
    if (facts === 'missing') {
      return withTransaction(deps.pool, async (tx) => {
        if (!(await events.claimDelivery(tx, incoming.webhookId))) {
          return record(tx, { verdict: 'replayed', reason: 'webhook id already seen' });
        }
        return record(tx, { verdict: 'ignored', reason: 'the data object no longer exists in iRODS' });
      });
    }

    const fresh = await this.newArchives.submit({
      webhookId: incoming.webhookId,
      logicalPath: data.logical_path,
      zone: data.zone,
      size: facts.size ?? null,
      checksum: facts.checksum ?? null,
      resource: facts.resource ?? null,
      uploader: uploaderOf(data),
      notBefore: new Date(Date.now() + deps.config.webhook.debounceSeconds * 1000),
      firstStep: deps.queues.firstStep,
      eventType: body.type,
      headers: incoming.headers,
      body: incoming.rawBody,
    });
    const { outcome, enqueue } = fresh
      ? {
          outcome: { httpStatus: 202, verdict: 'accepted', reason: undefined, jobId: fresh.jobId, eventId: fresh.eventId } as const,
          enqueue: { jobId: fresh.jobId, run: fresh.run },
        }
      : await decideLocked(deps, incoming, facts, record);

    if (enqueue) {
      try {
        await this.firstSteps.submit(enqueue);
      } catch (err) {
        // The job is committed: the outbox flusher will enqueue it once Redis is back.
        deps.log.warn({ job_id: enqueue.jobId, err }, 'enqueue failed; job left in the outbox');
      }
      // Not awaited: the rule must not wait for whatever the caller does with it.
      void deps.onAccepted?.({ jobId: enqueue.jobId, logicalPath: data.logical_path }).catch((err: unknown) =>
        deps.log.warn({ job_id: enqueue.jobId, err }, 'after-accept action failed'),
      );
    }
    return outcome;
  }
}

/** The full decision, under the path's advisory lock: replays, joins, duplicates, new versions. */
async function decideLocked(
  deps: IntakeDeps,
  incoming: IncomingEvent,
  facts: VersionFacts & { resource?: string },
  record: (db: pg.PoolClient, d: Decision) => Promise<IntakeOutcome>,
): Promise<{ outcome: IntakeOutcome; enqueue: Decision['enqueue'] }> {
  const path = incoming.body.data.logical_path;
  return withTransaction(deps.pool, async (tx) => {
    await lockArchivePath(tx, path);
    if (!(await events.claimDelivery(tx, incoming.webhookId))) {
      const latest = await jobs.latestJobForPath(tx, path);
      return { outcome: await record(tx, { verdict: 'replayed', reason: 'webhook id already seen', jobId: latest?.job.id }), enqueue: undefined };
    }
    const decision = await decide(deps.config, deps.queues.firstStep, tx, incoming.body, facts);
    return { outcome: await record(tx, decision), enqueue: decision.enqueue };
  });
}

function earlyVerdict(config: Config, body: EventBody): Decision | undefined {
  if (body.type !== LANDED_EVENT) return { verdict: 'ignored', reason: `unknown event type "${body.type}"` };
  if (body.data.zone !== config.irods.zone) {
    return { verdict: 'ignored', reason: `zone ${body.data.zone} is not the agent's zone (${config.irods.zone})` };
  }
  const watch = classifyPath(body.data.logical_path, uploaderOf(body.data), {
    prefixes: config.watch.prefixes,
    archiveSuffixes: config.watch.archiveSuffixes,
    agentUser: config.irods.username,
  });
  return watch.watched ? undefined : { verdict: 'ignored', reason: watch.reason };
}

/** What the event says about the version, completed by a stat when it lacks size or checksum. */
async function versionFacts(deps: IntakeDeps, body: EventBody): Promise<(VersionFacts & { resource?: string }) | 'missing'> {
  const { size, checksum, resource } = body.data;
  if (size !== undefined && checksum !== undefined) return { size, checksum, resource };
  if (!deps.irods) return { size, checksum, resource };
  try {
    const stat = await deps.irods.dataObjects.stat(body.data.logical_path);
    return { size: stat.size, checksum: stat.checksum ?? checksum, modifiedAt: new Date(stat.modifiedAt * 1000), resource };
  } catch (err) {
    if (isNotFound(err)) return 'missing';
    // iRODS refuses the agent's own login: a configuration fault that outlasts the rule's
    // retries. The event is recorded with what it says; its job waits (irods_unauthorized)
    // until iRODS accepts the agent, and inspect checks the object itself then.
    if (isUnauthorized(err)) {
      deps.log.warn({ archive: body.data.logical_path, err }, "iRODS refuses the agent's login; the event is recorded without a stat");
      return { size, checksum, resource };
    }
    if (err instanceof IrodsError && err.retryable) {
      throw new ServiceUnavailable('irods', `cannot stat ${body.data.logical_path} in iRODS: ${err.message}`);
    }
    throw err;
  }
}

async function decide(
  config: Config,
  firstStep: string,
  tx: pg.PoolClient,
  body: EventBody,
  facts: VersionFacts & { resource?: string },
): Promise<Decision> {
  const path = body.data.logical_path;
  const latest = await jobs.latestJobForPath(tx, path);
  if (latest) {
    const { job, archive } = latest;
    if (job.state === 'queued' && job.started_at === null) {
      // Still inside the debounce window: later reports of the upload join the waiting job, and
      // the newest facts win (the inspect step re-checks that the size has settled).
      if (!sameVersion(archive, facts)) await archives.replaceArchiveVersion(tx, archive.id, facts);
      await lifecycle.postponeStart(tx, job.id, new Date(Date.now() + config.webhook.debounceSeconds * 1000));
      return { verdict: 'duplicate', reason: 'joined the job waiting for this archive', jobId: job.id, archiveId: archive.id };
    }
    if (sameVersion(archive, facts)) {
      await archives.updateArchiveFacts(tx, archive.id, facts);
      return { verdict: 'duplicate', reason: `this version already has a job (${job.state})`, jobId: job.id, archiveId: archive.id };
    }
  }
  const archive = await archives.insertArchive(tx, body.data.zone, path, { ...facts, uploader: uploaderOf(body.data) });
  const notBefore = new Date(Date.now() + config.webhook.debounceSeconds * 1000);
  const job = await lifecycle.createJob(tx, archive.id, firstStep, notBefore);
  return {
    verdict: 'accepted',
    reason: latest ? 'a new version of the archive' : undefined,
    jobId: job.id,
    archiveId: archive.id,
    enqueue: { jobId: job.id, run: job.run },
  };
}
