import { startPeriodicPass, type PeriodicHandle } from '../runtime/periodic-pass.js';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import { IrodsError, isNotFound } from '../irods/errors.js';
import { dataObjectsWithAttribute, UnquotableQueryError, type IrodsClient } from '../irods/index.js';
import type { Logger } from '../logging/logger.js';
import { events, withTryAdvisoryLock, type EventVerdict } from '../store/index.js';
import { checkUploader } from '../users/index.js';
import { Intake, type IntakeDeps, type IntakeQueue } from './accept-event.js';
import { LANDED_EVENT } from './landed-event.js';
import { LANDED_MARK_ATTRIBUTE, markDeliveryId, markEvent, markUser, type LandedMark } from './landed-mark.js';

export interface MarkDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: IntakeQueue;
  readonly irods: IrodsClient;
  readonly log: Logger;
  /** As for events: called once a mark made a new job (the runtime writes `queued` on the archive). */
  readonly onAccepted?: IntakeDeps['onAccepted'];
}

export interface MarkOutcome {
  readonly lpath: string;
  /** `<user>#<zone>` as the mark names them. */
  readonly units: string;
  /** The intake's verdict; `rejected` when the mark was refused before it (its user, its units). */
  readonly verdict: EventVerdict;
  readonly reason: string | undefined;
  readonly jobId: string | undefined;
}

export interface MarkPassReport {
  /** False when another agent process held the lock (nothing was done). */
  readonly ran: boolean;
  readonly outcomes: readonly MarkOutcome[];
  /** Marks left for the next pass: handling them failed on something about their object. */
  readonly left: number;
}

/** Any constant: the advisory lock that lets one agent process take the marks at a time. */
const MARK_LOCK_KEY = 0x1a0e_3a4c;

/**
 * One pass over the native rule's marks (docs/events.md, "Marks"): every `irods_omero_agent::landed`
 * AVU on a data object under a watched collection goes through the intake exactly as the event it
 * stands for would, after its user is checked against the object's ACL (checkUploader: owner or
 * write access), and is then removed: that exact attribute, value and units, so a mark the rule wrote again
 * meanwhile (a newer upload) stays for the next pass. Marks outside the watched collections are
 * not touched. Under an advisory lock, so several agent processes may call it at once.
 */
export async function takeLandedMarks(deps: MarkDeps, options: { signal?: AbortSignal; intake?: Intake } = {}): Promise<MarkPassReport> {
  const locked = await withTryAdvisoryLock(deps.pool, MARK_LOCK_KEY, async () => {
    const intake = options.intake ?? new Intake(deps);
    const outcomes: MarkOutcome[] = [];
    let left = 0;
    for (const mark of await findMarks(deps, options.signal)) {
      options.signal?.throwIfAborted();
      try {
        outcomes.push(await takeMark(deps, intake, mark));
      } catch (err) {
        // A refusal about this one object (permissions, a race with its removal) stays with it;
        // anything else (iRODS unreachable, PostgreSQL down) ends the pass, every mark kept.
        if (!(err instanceof IrodsError) || err.retryable || options.signal?.aborted) throw err;
        left++;
        deps.log.warn({ err, archive: mark.lpath }, 'could not take a native mark; it stays for the next pass');
      }
    }
    return { outcomes, left };
  });
  if (!locked.ran) return { ran: false, outcomes: [], left: 0 };
  return { ran: true, ...locked.value };
}

/** The marks under the watched collections, once each (watched collections may nest). */
async function findMarks(deps: MarkDeps, signal: AbortSignal | undefined): Promise<LandedMark[]> {
  const found = new Map<string, LandedMark>();
  for (const prefix of deps.config.watch.prefixes) {
    try {
      for await (const mark of dataObjectsWithAttribute(deps.irods.query, prefix, LANDED_MARK_ATTRIBUTE, { signal })) {
        // The query matches a LIKE prefix: /zone/lab also finds /zone/lab2/… .
        if (!mark.lpath.startsWith(`${prefix}/`)) continue;
        found.set(markDeliveryId(mark), mark);
      }
    } catch (err) {
      if (!(err instanceof UnquotableQueryError)) throw err;
      deps.log.warn({ prefix }, 'a watched collection with a single quote in its name cannot be searched for native marks (GenQuery1 cannot quote it)');
    }
  }
  return [...found.values()];
}

/** Takes one mark. */
async function takeMark(deps: MarkDeps, intake: Intake, mark: LandedMark): Promise<MarkOutcome> {
  const user = markUser(mark);
  if (!user) {
    return refuse(deps, mark, 400, `the mark's units ${JSON.stringify(mark.units)} do not name a user as <user>#<zone>`);
  }
  // The same check the permissions step makes before granting the uploader anything.
  const check = await checkUploader(deps.irods, mark.lpath, `${user.name}#${user.zone}`, deps.config.irods.zone);
  if (!check.verified) return refuse(deps, mark, 403, `refused: ${check.reason}`);

  const body = markEvent(mark, user);
  const rawBody = JSON.stringify(body);
  const outcome = await intake.accept({ webhookId: markDeliveryId(mark), headers: {}, rawBody, body });
  await removeMark(deps, mark);
  deps.log.info(
    { archive: mark.lpath, user: mark.units, verdict: outcome.verdict, reason: outcome.reason, job_id: outcome.jobId, event_id: outcome.eventId },
    'native mark taken',
  );
  return { lpath: mark.lpath, units: mark.units, verdict: outcome.verdict, reason: outcome.reason, jobId: outcome.jobId };
}

/** Records why a mark was refused, as a refused event is, and removes it: it will not become valid. */
async function refuse(deps: MarkDeps, mark: LandedMark, httpStatus: number, reason: string): Promise<MarkOutcome> {
  await events.recordEvent(deps.pool, {
    webhookId: markDeliveryId(mark),
    eventType: LANDED_EVENT,
    logicalPath: mark.lpath,
    verdict: 'rejected',
    reason,
    httpStatus,
    headers: {},
    body: JSON.stringify({ mark: { attribute: LANDED_MARK_ATTRIBUTE, value: mark.value, units: mark.units } }),
  });
  await removeMark(deps, mark);
  deps.log.warn({ archive: mark.lpath, user: mark.units, reason }, 'native mark refused');
  return { lpath: mark.lpath, units: mark.units, verdict: 'rejected', reason, jobId: undefined };
}

async function removeMark(deps: MarkDeps, mark: LandedMark): Promise<void> {
  // Exactly this AVU: removing by attribute alone would drop a newer mark the rule set meanwhile.
  try {
    await deps.irods.dataObjects.modifyMetadata(mark.lpath, [
      { operation: 'remove', attribute: LANDED_MARK_ATTRIBUTE, value: mark.value, ...(mark.units ? { units: mark.units } : {}) },
    ]);
  } catch (err) {
    // The object went away since the query, and its AVUs with it (or moved: found there next time).
    if (!isNotFound(err)) throw err;
  }
}

export type MarkPollerHandle = PeriodicHandle;

/**
 * Takes the marks every `config.nativeMarks.pollSeconds` (0: never), the first pass at once (marks
 * written while no agent ran). A failed pass is logged and the next one runs on time; close()
 * aborts a pass in progress and waits for it.
 */
export function startMarkPoller(deps: MarkDeps): MarkPollerHandle {
  const intake = new Intake(deps);
  return startPeriodicPass({
    name: 'native mark poller',
    intervalSeconds: deps.config.nativeMarks.pollSeconds,
    runAtStart: true,
    log: deps.log,
    failureLevel: 'warn',
    failureMessage: 'taking native marks failed; the next pass runs on schedule',
    pass: (signal) => takeLandedMarks(deps, { signal, intake }),
  });
}
