import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { events, lifecycle, omeroSyncs, registrationBreaks, withTransaction, type EventVerdict } from '../store/index.js';
import type { IncomingEvent } from './accept-event.js';
import { uploaderOf } from './landed-event.js';
import { METADATA_CHANGED_EVENT, type MetadataChangedEvent, type ObjectEvent, type RegisteredDataChangedEvent } from './object-event-bodies.js';

/** What the intake needs of the annotation sync queue (the pipeline provides it). */
export interface SyncScheduler {
  /** Schedules a sync, due after `delayMs` (the debounce window). Idempotent per sync. */
  schedule(sync: { readonly id: number; readonly logicalPath: string }, delayMs: number): Promise<void>;
}

/** An archive whose registration a change broke: its AVUs are to say so. */
export interface BrokenArchive {
  readonly archiveId: number;
  readonly archivePath: string;
}

export interface ObjectEventDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly log: Logger;
  /** Undefined: this process cannot schedule syncs, so metadata events are recorded and ignored. */
  readonly syncs: SyncScheduler | undefined;
  /** Called (not awaited) once breaks are committed, e.g. to write the archives' AVUs. */
  readonly onBroken?: ((archives: readonly BrokenArchive[]) => Promise<void>) | undefined;
}

export interface ObjectEventOutcome {
  readonly httpStatus: 200 | 202;
  readonly verdict: EventVerdict;
  readonly reason: string | undefined;
  readonly eventId: string;
  /** The sync the event asked for or joined (metadata.changed). */
  readonly syncId?: number | undefined;
  /** The jobs whose registration was marked broken (registered_data.changed). */
  readonly jobIds?: readonly string[] | undefined;
}

interface Decision {
  readonly verdict: EventVerdict;
  readonly reason?: string | undefined;
  readonly archiveId?: number | undefined;
  readonly jobId?: string | undefined;
}

/** What one transaction decided, and what is left to do once it committed. */
interface Decided {
  readonly outcome: ObjectEventOutcome;
  /** A new sync to add to the queue. */
  readonly schedule?: { readonly id: number; readonly logicalPath: string } | undefined;
  /** Archives whose AVUs are to say their registration is broken. */
  readonly broken?: readonly BrokenArchive[] | undefined;
}

/** Records the event with its decision (in the decision's transaction); returns the event id. */
type RecordEvent = (tx: pg.PoolClient, d: Decision) => Promise<string>;

const outcomeOf = (eventId: string, d: Decision, extra: Partial<ObjectEventOutcome> = {}): ObjectEventOutcome => ({
  httpStatus: d.verdict === 'accepted' ? 202 : 200,
  verdict: d.verdict,
  reason: d.reason,
  eventId,
  ...extra,
});

/**
 * The intake of events about objects the agent already made, rather than archives that landed:
 * `metadata.changed` asks for a debounced sync of the object's AVUs into OMERO (one per object
 * and window, however many events), and `registered_data.changed` marks the registration of the
 * archive(s) whose tree it touched as broken. Like landed events: recorded whatever the verdict,
 * replays of a webhook id told apart, never a 5xx for what a body holds.
 */
export class ObjectEventIntake {
  constructor(private readonly deps: ObjectEventDeps) {}

  async accept(incoming: IncomingEvent & { readonly body: ObjectEvent }): Promise<ObjectEventOutcome> {
    const { body } = incoming;
    const record: RecordEvent = (tx, d) =>
      events.recordEvent(tx, {
        webhookId: incoming.webhookId,
        eventType: body.type,
        logicalPath: body.data.logical_path,
        headers: incoming.headers,
        body: incoming.rawBody,
        ...d,
        reason: d.reason,
        httpStatus: d.verdict === 'accepted' ? 202 : 200,
      });
    const early = this.earlyVerdict(body);
    const decided = await withTransaction(this.deps.pool, async (tx): Promise<Decided> => {
      if (!(await events.claimDelivery(tx, incoming.webhookId))) {
        const d: Decision = { verdict: 'replayed', reason: 'webhook id already seen' };
        return { outcome: outcomeOf(await record(tx, d), d) };
      }
      if (early) return { outcome: outcomeOf(await record(tx, early), early) };
      return body.type === METADATA_CHANGED_EVENT ? this.requestSync(tx, body, record) : this.markBroken(tx, body, record);
    });
    if (decided.schedule) await this.schedule(decided.schedule);
    if (decided.broken?.length && this.deps.onBroken) {
      void this.deps.onBroken(decided.broken).catch((err: unknown) => this.deps.log.warn({ err }, 'could not write the broken-registration AVUs; retried later'));
    }
    return decided.outcome;
  }

  /** Verdicts that need no look-up. */
  private earlyVerdict(body: ObjectEvent): Decision | undefined {
    const { config } = this.deps;
    const path = body.data.logical_path;
    if (body.data.zone !== config.irods.zone) return { verdict: 'ignored', reason: `zone ${body.data.zone} is not the agent's zone (${config.irods.zone})` };
    // The agent never renames or removes registered data: such a report is always someone else's doing.
    if (body.type !== METADATA_CHANGED_EVENT) return undefined;
    // The rules skip the agent's account already; a sync writes nothing to iRODS either way.
    if (uploaderOf(body.data) === config.irods.username) return { verdict: 'ignored', reason: `made by the agent's own account (${config.irods.username})` };
    if (!config.watch.prefixes.some((p) => path.startsWith(`${p}/`))) return { verdict: 'ignored', reason: 'not in a watched collection' };
    if (!config.omeroSync.enabled) {
      return { verdict: 'ignored', reason: 'the annotation sync is off (OMERO_ENABLED, OMERO_SYNC_ANNOTATIONS)' };
    }
    if (!this.deps.syncs) return { verdict: 'ignored', reason: 'this agent process does not schedule annotation syncs' };
    return undefined;
  }

  /** A new sync of the object, or the event joins the one waiting for it (the debounce). */
  private async requestSync(tx: pg.PoolClient, body: MetadataChangedEvent, record: RecordEvent): Promise<Decided> {
    const delayMs = this.deps.config.omeroSync.debounceSeconds * 1000;
    const { sync, created } = await omeroSyncs.requestSync(tx, {
      logicalPath: body.data.logical_path,
      entityType: body.data.entity_type,
      notBefore: new Date(Date.now() + delayMs),
    });
    const d: Decision = created
      ? { verdict: 'accepted', reason: `omero sync ${sync.id} scheduled` }
      : { verdict: 'duplicate', reason: `joined omero sync ${sync.id}, waiting for this object` };
    const eventId = await record(tx, d);
    await omeroSyncs.attachSyncEvent(tx, sync.id, eventId);
    return { outcome: outcomeOf(eventId, d, { syncId: sync.id }), schedule: created ? { id: sync.id, logicalPath: sync.logical_path } : undefined };
  }

  private async schedule(sync: { readonly id: number; readonly logicalPath: string }): Promise<void> {
    try {
      await this.deps.syncs?.schedule(sync, this.deps.config.omeroSync.debounceSeconds * 1000);
      await omeroSyncs.markSyncEnqueued(this.deps.pool, sync.id);
    } catch (err) {
      // Committed: the sync workers' outbox flush schedules it once Redis is back.
      this.deps.log.warn({ sync_id: sync.id, err }, 'could not schedule the omero sync; left in its outbox');
    }
  }

  /** The registered trees the change touched, each archive's registration recorded as broken. */
  private async markBroken(tx: pg.PoolClient, body: RegisteredDataChangedEvent, record: RecordEvent): Promise<Decided> {
    const { data } = body;
    const trees = await registrationBreaks.registeredTreesTouchedBy(tx, data.logical_path);
    const inPlace = trees.filter((t) => t.registration.mode === 'ln_s');
    const first = inPlace[0];
    if (!first) {
      const d: Decision = {
        verdict: 'ignored',
        reason: trees.length
          ? 'OMERO holds its own copy of the archive(s) registered here (upload mode): nothing it reads was moved'
          : 'no archive registered in OMERO contains this path or lies inside it',
      };
      return { outcome: outcomeOf(await record(tx, d), d) };
    }
    const d: Decision = {
      verdict: 'accepted',
      reason: `the OMERO registration of ${inPlace.map((t) => t.archive_path).join(', ')} is broken`,
      archiveId: first.archive_id,
      jobId: first.job_id,
    };
    const eventId = await record(tx, d);
    for (const tree of inPlace) {
      await registrationBreaks.recordBreak(tx, {
        jobId: tree.job_id,
        archiveId: tree.archive_id,
        eventId,
        logicalPath: data.logical_path,
        entityType: data.entity_type,
        operation: data.operation,
        destination: data.destination_logical_path,
        changedBy: data.client_user ?? `${data.user}#${data.user_zone ?? data.zone}`,
      });
    }
    await lifecycle.republishInFeed(
      tx,
      inPlace.map((t) => t.job_id),
    );
    return {
      outcome: outcomeOf(eventId, d, { jobIds: inPlace.map((t) => t.job_id) }),
      broken: inPlace.map((t) => ({ archiveId: t.archive_id, archivePath: t.archive_path })),
    };
  }
}
