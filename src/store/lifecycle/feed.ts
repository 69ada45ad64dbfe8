import type { Queryable } from '../pool.js';

/**
 * Moves jobs to the end of the archives feed, as a change of state does (the trigger of
 * migration 0002 sets `state_xid` and `state_changed_at`), so that a poller keeping its cursor
 * sees what changed about them without a transition: today, a registration broken by a rename
 * or removal in iRODS. State and run stay as they are.
 */
export async function republishInFeed(db: Queryable, jobIds: readonly string[]): Promise<void> {
  if (!jobIds.length) return;
  await db.query('UPDATE jobs SET state_xid = pg_current_xact_id(), state_changed_at = now() WHERE id = ANY($1::uuid[])', [jobIds]);
}
