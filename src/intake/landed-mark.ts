import { createHash } from 'node:crypto';
import type { DataObjectAvu } from '../irods/index.js';
import { parseUserName } from '../users/index.js';
import { LANDED_EVENT, type EventBody } from './landed-event.js';

/**
 * The AVU the native rule (rules/native/irods_omero_agent.re) sets on an archive that landed in a
 * watched collection: value = Unix seconds when the PEP fired, units = `<user>#<zone>`, the client
 * user of the operation. It replaces the POST the rule used to send (docs/events.md).
 */
export const LANDED_MARK_ATTRIBUTE = 'irods_omero_agent::landed';

/** What `pep` the synthesized event carries, so events and jobs show where they came from. */
export const MARK_PEP = 'native_mark';

export type LandedMark = DataObjectAvu;

/** The user a mark names, or undefined when its units are not `<user>#<zone>` with valid names. */
export function markUser(mark: LandedMark): { name: string; zone: string } | undefined {
  const parsed = parseUserName(mark.units);
  return parsed?.zone === undefined ? undefined : { name: parsed.name, zone: parsed.zone };
}

/**
 * The delivery id of a mark: the same for the same mark, so a mark taken again after a crash
 * between the intake and its removal is told `replayed` instead of making a second job.
 */
export function markDeliveryId(mark: LandedMark): string {
  const digest = createHash('sha256').update(`${mark.lpath}\0${mark.value}\0${mark.units}`).digest('hex');
  return `mark_${digest.slice(0, 32)}`;
}

/** The event the mark stands for, as the rules would have sent it (docs/events.md). */
export function markEvent(mark: LandedMark, user: { name: string; zone: string }, now = new Date()): EventBody {
  const seconds = /^\d{1,12}$/.test(mark.value) ? Number(mark.value) : undefined;
  return {
    type: LANDED_EVENT,
    timestamp: (seconds === undefined ? now : new Date(seconds * 1000)).toISOString(),
    data: {
      zone: mark.lpath.split('/')[1] ?? '',
      logical_path: mark.lpath,
      user: user.name,
      user_zone: user.zone,
      client_user: `${user.name}#${user.zone}`,
      pep: MARK_PEP,
    },
  };
}
