import { randomBytes } from 'node:crypto';
import { LANDED_EVENT } from './landed-event.js';

/** What the Python rule reports about an archive that landed (docs/events.md), without the optional facts. */
export interface LandedFacts {
  readonly logicalPath: string;
  readonly user: string;
  /** The user's zone; the path's zone when not given. */
  readonly userZone?: string | undefined;
  /** Which PEP (or tool) noticed it. */
  readonly pep: string;
  readonly size?: number | undefined;
}

/** JSON with every object's keys sorted and no spaces: Python's json.dumps(sort_keys=True, separators=(',', ':')). */
function sortedCompactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedCompactJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedCompactJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The body the Python rule (rules/python/irods_omero_agent_rules.py, `_emit` and `_build_body`)
 * sends for a landed archive, byte for byte in its shape: the same fields, keys sorted, compact.
 * `events send` uses it to test an installation and to re-send an event by hand.
 */
export function landedEventBody(facts: LandedFacts, now = new Date()): string {
  const zone = facts.logicalPath.split('/')[1] ?? '';
  const userZone = facts.userZone ?? zone;
  return sortedCompactJson({
    type: LANDED_EVENT,
    timestamp: now.toISOString(),
    data: {
      zone,
      logical_path: facts.logicalPath,
      user: facts.user,
      user_zone: userZone,
      client_user: `${facts.user}#${userZone}`,
      pep: facts.pep,
      size: facts.size,
    },
  });
}

/** A webhook id as the rule makes one: `msg_` and 32 hex digits (uuid4().hex). */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('hex')}`;
}
