import { isDatabaseUnavailable } from '../pg-errors.js';
import type { Queryable } from '../pool.js';

export interface NewArchiveEvent {
  readonly webhookId: string;
  readonly logicalPath: string;
  readonly zone: string;
  readonly size: number | null;
  readonly checksum: string | null;
  readonly resource: string | null;
  readonly uploader: string;
  readonly notBefore: Date;
  readonly firstStep: string;
  readonly eventType: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface NewArchiveRecorded {
  readonly jobId: string;
  readonly run: number;
  readonly archiveId: number;
  readonly eventId: string;
}

/** A delivery of the same webhook id already recorded (for another path): not new either. */
const UNIQUE_VIOLATION = '23505';
const DELIVERY_INDEX = 'events_delivery';

interface AcceptedRow {
  ordinal: number;
  new_job: string | null;
  new_run: number | null;
  new_archive: number | null;
  new_event: string | null;
}

function isSeenDelivery(err: unknown): boolean {
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && constraint === DELIVERY_INDEX;
}

/**
 * Records events for paths never seen before (archive, job, and the event that remembers its
 * webhook id), several in one round trip and one transaction (migration 0005). For each event,
 * in order (settled, as by Promise.allSettled): what was recorded, or undefined, with nothing
 * written, when its path is known or its webhook id was seen; the caller then takes its full
 * decision for that event.
 *
 * When the group's call fails, for whatever reason (a webhook id seen before, a deadlock with a
 * single decision, a value PostgreSQL refuses), its events are recorded one by one, so that only
 * the event that fails is refused and every other one is answered on its own merits. Only when
 * the database itself is unavailable does the whole group fail at once: one by one would only
 * repeat the same failure. The good path never pays for this.
 */
export async function acceptNewArchives(
  db: Queryable,
  batch: readonly NewArchiveEvent[],
): Promise<PromiseSettledResult<NewArchiveRecorded | undefined>[]> {
  if (batch.length === 0) return [];
  try {
    return (await recordBatch(db, batch)).map((value) => ({ status: 'fulfilled', value }));
  } catch (err) {
    if (batch.length === 1) {
      if (isSeenDelivery(err)) return [{ status: 'fulfilled', value: undefined }];
      return [{ status: 'rejected', reason: err }];
    }
    if (isDatabaseUnavailable(err)) throw err;
    return (await Promise.all(batch.map((e) => acceptNewArchives(db, [e])))).flat();
  }
}

async function recordBatch(db: Queryable, batch: readonly NewArchiveEvent[]): Promise<(NewArchiveRecorded | undefined)[]> {
  const payload = batch.map((e, i) => ({
    i,
    webhook_id: e.webhookId,
    path: e.logicalPath,
    zone: e.zone,
    size: e.size,
    checksum: e.checksum,
    resource: e.resource,
    uploader: e.uploader,
    not_before: e.notBefore.toISOString(),
    first_step: e.firstStep,
    event_type: e.eventType,
    headers: e.headers,
    body: e.body,
  }));
  const { rows } = await db.query<AcceptedRow>('SELECT * FROM ioa_accept_new_archives($1::jsonb)', [JSON.stringify(payload)]);
  const out: (NewArchiveRecorded | undefined)[] = batch.map(() => undefined);
  for (const row of rows) {
    if (row.new_job === null || row.new_run === null || row.new_archive === null || row.new_event === null) continue;
    out[row.ordinal] = { jobId: row.new_job, run: row.new_run, archiveId: row.new_archive, eventId: row.new_event };
  }
  return out;
}
