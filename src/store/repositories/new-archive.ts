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

/** The SQLSTATE ioa_accept_new_archive raises when the event is not for a never-seen path. */
const NOT_NEW = 'IOA01';
/** A delivery of the same webhook id already recorded (for another path): not new either. */
const UNIQUE_VIOLATION = '23505';
const DELIVERY_INDEX = 'events_delivery';

/**
 * Records an event for a path never seen before (archive, job, and the event that remembers its
 * webhook id) in one round trip (migrations 0003, 0004). Undefined, with nothing written, when
 * the path is known or the webhook id was seen: the caller then takes its full decision.
 */
export async function acceptNewArchive(db: Queryable, e: NewArchiveEvent): Promise<NewArchiveRecorded | undefined> {
  try {
    const { rows } = await db.query<{ job_id: string; run: number; archive_id: number; event_id: string }>(
      'SELECT * FROM ioa_accept_new_archive($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [e.webhookId, e.logicalPath, e.zone, e.size, e.checksum, e.resource, e.uploader, e.notBefore, e.firstStep, e.eventType, JSON.stringify(e.headers), e.body],
    );
    const row = rows[0];
    return row && { jobId: row.job_id, run: row.run, archiveId: row.archive_id, eventId: row.event_id };
  } catch (err) {
    const { code, constraint } = err as { code?: unknown; constraint?: unknown };
    if (code === NOT_NEW || (code === UNIQUE_VIOLATION && constraint === DELIVERY_INDEX)) return undefined;
    throw err;
  }
}
