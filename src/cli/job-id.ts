import { InvalidArgumentError } from 'commander';
import { AdminApiError, type AdminClient } from './admin-client.js';

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = /^[0-9a-f]{8}[0-9a-f-]{0,28}$/i;
/** Fewer digits would match too often to be worth typing (and a short prefix makes a typo act on another job). */
export const MIN_PREFIX_LENGTH = 8;

/** Commander's check of a job argument: a whole id, or a prefix of at least 8 of its hex digits. */
export function jobIdArgument(value: string): string {
  const given = value.trim();
  if (FULL_ID.test(given) || PREFIX.test(given)) return given.toLowerCase();
  throw new InvalidArgumentError(`expected a job id, or its first ${MIN_PREFIX_LENGTH} or more characters (as jobs list shows them)`);
}

/**
 * The whole id a person meant: a full id as given, a prefix when exactly one job starts with
 * it. None: 404 (no such job); several: refused, naming them, so a command never acts on a
 * job the person did not mean.
 */
export async function resolveJobId(client: AdminClient, given: string): Promise<string> {
  if (FULL_ID.test(given)) return given;
  const page = await client.listJobs({ id_prefix: given, limit: 3 });
  const [only, ...others] = page.items;
  if (!only) throw new AdminApiError(404, 'not_found', `no job id starts with ${given}`);
  if (others.length) {
    const named = [only, ...others].map((j) => j.id).join(', ');
    throw new AdminApiError(400, 'ambiguous_id', `${given} starts several job ids (${named}${page.next_cursor ? ', …' : ''}): give more of it`);
  }
  return only.id;
}
