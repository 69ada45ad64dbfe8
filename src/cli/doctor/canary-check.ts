import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import { CANARY_COLLECTION } from '../../intake/canary.js';
import { createIrodsClient } from '../../irods/index.js';
import type { IrodsClient } from '../../irods/types.js';
import { events } from '../../store/index.js';
import { fail, ok, skip, warn, type CheckResult } from './checklist.js';

/**
 * The account the canary is uploaded as. Not the agent's own: the rule's `ignore_users` lists
 * that one (so the agent's writes raise no events), and the canary must look like a user's upload.
 * It exists only while the check runs, with a random password.
 */
export const CANARY_USER = 'irods_omero_agent_canary';

const TITLE = 'the rule reports an upload and the delay server delivers it (canary)';
const POLL_MS = 500;

export interface CanaryOptions {
  readonly timeoutMs: number;
  /** Where the watched collection came from: the first AGENT_WATCH collection that exists. */
  readonly watchedCollection: string;
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
}

/** What the canary left in iRODS, undone in reverse order whatever happens. */
class Undo {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  readonly failures: string[] = [];

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async runAll(): Promise<void> {
    for (const step of this.steps.reverse()) {
      await step.run().catch((err: unknown) => this.failures.push(`${step.what}: ${(err as Error).message}`));
    }
  }
}

/** The verdict of the first event for the canary, as the checklist says it. */
function arrived(event: events.EventRow | undefined, seconds: number, lpath: string): CheckResult {
  if (!event) {
    return fail(
      'canary',
      TITLE,
      `no event for ${lpath} within ${seconds} s`,
      'install the rule on every iRODS server clients connect to and on the delay server (rules/README.md); check that the delay server runs (`iqstat` lists the queued POST), that agent_url in /etc/irods/irods_omero_agent.json reaches this agent, and what `grep irods_omero_agent /var/log/irods/irods.log` says; then run the doctor again (--canary-timeout for a slow delay server)',
    );
  }
  if (event.verdict === 'rejected') {
    return fail(
      'canary',
      TITLE,
      `the event arrived but was refused (HTTP ${event.http_status}: ${event.reason ?? ''})`,
      event.http_status === 401
        ? 'the secret in /etc/irods/irods_omero_agent.secret (the rule\'s secret_file) must be one of AGENT_WEBHOOK_SECRETS, and the clocks of iRODS and the agent must agree within AGENT_WEBHOOK_TOLERANCE_SECONDS'
        : 'the rule and the agent disagree on the event: install the rule module of this agent version (rules/python)',
    );
  }
  return ok('canary', TITLE, `the event arrived after ${seconds.toFixed(1)} s (${event.verdict}: ${event.reason ?? 'accepted'})`);
}

/**
 * Drops an archive-named canary into `<watched>/.irods-omero-agent-canary/` as a user would,
 * waits for the agent to record its event (the rule fired, the delay server ran the POST, the
 * signature held), then removes everything it made: the canary, its collection, the canary
 * account, and the agent's own grant on the watched collection when it had to make one.
 */
export async function checkCanary(config: Config, options: CanaryOptions): Promise<CheckResult> {
  const { irods } = options;
  const agent = config.irods.username;
  const zone = config.irods.zone;
  const folder = `${options.watchedCollection}/${CANARY_COLLECTION}`;
  const suffix = config.watch.archiveSuffixes[0] ?? '.zip';
  const lpath = `${folder}/canary-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}${suffix}`;
  const undo = new Undo();
  const started = new Date();
  let result: CheckResult;
  try {
    // A rodsadmin may not create in a user's collection without an ACL, as the agent itself
    // when it expands (docs/operations.md): grant, only when absent, and take it back after.
    const watched = await irods.collections.stat(options.watchedCollection);
    if (!watched.permissions.some((p) => p.name === agent)) {
      await irods.collections.modifyPermissions(options.watchedCollection, [{ entityName: agent, acl: 'write' }], { admin: true });
      undo.push(`remove ${agent}'s grant on ${options.watchedCollection}`, () =>
        irods.collections.modifyPermissions(options.watchedCollection, [{ entityName: agent, acl: 'null' }], { admin: true }),
      );
    }
    const password = randomBytes(18).toString('base64url');
    // One a crashed run left behind is the doctor's own too: reused, and removed at the end.
    if (!(await irods.users.stat(CANARY_USER, { zone })).exists) await irods.users.createUser(CANARY_USER, { zone, userType: 'rodsuser' });
    undo.push(`remove the user ${CANARY_USER}`, () => irods.users.removeUser(CANARY_USER, { zone }));
    await irods.users.setPassword(CANARY_USER, password, { zone });
    const { created } = await irods.collections.create(folder);
    if (created) undo.push(`remove ${folder}`, () => irods.collections.remove(folder, { recurse: true, noTrash: true }));
    await irods.collections.setPermission(folder, CANARY_USER, 'own', { admin: true });

    const canary = createIrodsClient({ baseUrl: config.irods.baseUrl, username: CANARY_USER, password, requestTimeoutMs: config.irods.requestTimeoutMs });
    undo.push(`close the ${CANARY_USER} session`, () => canary.close());
    await canary.dataObjects.writeChunk(lpath, Buffer.from(`irods-omero-agent doctor canary ${started.toISOString()}\n`));
    // Removed by its owner, past the trash (which would keep the account from being removed).
    undo.push(`remove ${lpath}`, () => canary.dataObjects.remove(lpath, { catalogOnly: false, noTrash: true }));

    const deadline = Date.now() + options.timeoutMs;
    let first: events.EventRow | undefined;
    while (!first && Date.now() < deadline) {
      [first] = await events.eventsForPath(options.pool, lpath, started);
      if (!first) await sleep(POLL_MS);
    }
    result = arrived(first, first ? (first.received_at.getTime() - started.getTime()) / 1000 : options.timeoutMs / 1000, lpath);
  } catch (err) {
    result = fail('canary', TITLE, `the canary could not be placed: ${(err as Error).message}`, `the service account (IRODS_USERNAME) must be able to create a collection and a user; check the watched collection ${options.watchedCollection}`);
  } finally {
    await undo.runAll();
  }
  if (undo.failures.length && result.status === 'ok') {
    return warn('canary', TITLE, `${result.detail}; cleaning up failed: ${undo.failures.join('; ')}`, 'remove what is left by hand');
  }
  return result;
}

/** Why the canary was not run, when an earlier check makes it moot. */
export function canaryNotRun(why: string): CheckResult {
  return skip('canary', TITLE, why);
}
