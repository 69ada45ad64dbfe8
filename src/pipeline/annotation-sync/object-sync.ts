import type pg from 'pg';
import type { Config, OmeroServer } from '../../config/index.js';
import { collectionAvus, dataObjectAvus, nearestCollectionWithAttribute } from '../../irods/index.js';
import type { Avu, IrodsClient } from '../../irods/types.js';
import type { Logger } from '../../logging/logger.js';
import { keepMapAnnotations, openOmeroSession, registrationAttributes, type KeptAnnotation, type Pair, type RegistrationField } from '../../omero/index.js';
import { omeroAnnotations, type OmeroAnnotationRow, type OmeroSyncRow } from '../../store/index.js';
import { omeroSessionOptions, passwordSetting } from '../omero-session-options.js';
import { annotationPairs, samePairs } from './annotation-pairs.js';
import { registeredServer, registrationTargets, type OmeroTarget } from './registration-targets.js';
import { SyncFailure } from './sync-failure.js';

export interface ObjectSyncDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly log: Logger;
}

/** How a sync ended when it did not fail: what the sync row records as its outcome. */
export interface SyncResult {
  readonly state: 'succeeded' | 'skipped';
  readonly outcome: Record<string, unknown>;
}

const skipped = (reason: string, message: string, extra: Record<string, unknown> = {}): SyncResult => ({
  state: 'skipped',
  outcome: { reason, message, ...extra },
});

/** The object's AVUs; a path GenQuery1 cannot quote is refused for good. */
async function readAvus(irods: IrodsClient, sync: OmeroSyncRow): Promise<Avu[]> {
  try {
    return sync.entity_type === 'collection'
      ? await collectionAvus(irods.query, sync.logical_path)
      : await dataObjectAvus(irods.query, sync.logical_path);
  } catch (err) {
    if (err instanceof RangeError) throw new SyncFailure('unsupported_path', `${sync.logical_path} cannot be looked up: ${err.message}`, false, err);
    throw err;
  }
}

type Attributes = Readonly<Record<RegistrationField, string>>;

/** Where the object was registered: its own server AVU (a tree's root), else the nearest collection above that has one. */
async function serverOf(irods: IrodsClient, sync: OmeroSyncRow, avus: readonly Avu[], attributes: Attributes): Promise<string | undefined> {
  const own = sync.entity_type === 'collection' ? registeredServer(avus, attributes) : undefined;
  if (own !== undefined) return own;
  const parent = sync.logical_path.slice(0, sync.logical_path.lastIndexOf('/'));
  return (await nearestCollectionWithAttribute(irods.query, parent, attributes.server))?.values[0];
}

/** Whether OMERO already holds `pairs` on every target, as far as the agent wrote it. */
function alreadyWritten(targets: readonly OmeroTarget[], recorded: ReadonlyMap<string, OmeroAnnotationRow>, pairs: readonly Pair[]): boolean {
  return targets.every((t) => {
    const row = recorded.get(`${t.type}:${t.id}`);
    return row ? samePairs(row.written, pairs) : pairs.length === 0;
  });
}

/**
 * Keeps one iRODS object's current AVUs in OMERO: on each OMERO object it became, the agent's
 * MapAnnotation holds exactly the pairs its AVUs make now (config.omeroSync says which). Reads
 * iRODS, compares with what the agent last wrote (PostgreSQL), and only when they differ logs in
 * to OMERO (as the omero step does: a private session, password in the environment) to write.
 * An unchanged object, a replay, a burst already written: no OMERO call at all. Writes nothing to
 * iRODS, so a sync never causes another metadata event. Each configured server the object is
 * registered in (its attributes name it, registration-avus.ts) gets its own annotation.
 */
export async function syncObject(deps: ObjectSyncDeps, sync: OmeroSyncRow, signal: AbortSignal): Promise<SyncResult> {
  const avus = await readAvus(deps.irods, sync);
  const results: [string, SyncResult][] = [];
  for (const server of deps.config.omero.servers) {
    const result = await syncInServer(deps, sync, avus, server, signal);
    if (result) results.push([server.name, result]);
  }
  const [only] = results;
  if (!only) {
    return skipped('not_registered', `${sync.logical_path} carries no OMERO ids (irods_omero_agent::omero_*), or is gone: nothing to show in OMERO.`);
  }
  if (results.length === 1) return only[1];
  return {
    state: results.every(([, r]) => r.state === 'skipped') ? 'skipped' : 'succeeded',
    outcome: { action: 'per_server', servers: Object.fromEntries(results.map(([name, r]) => [name, { state: r.state, ...r.outcome }])) },
  };
}

/** The sync in one server; undefined when the object is not registered there. */
async function syncInServer(deps: ObjectSyncDeps, sync: OmeroSyncRow, avus: readonly Avu[], target: OmeroServer, signal: AbortSignal): Promise<SyncResult | undefined> {
  const { config } = deps;
  const path = sync.logical_path;
  const attributes = registrationAttributes(target);
  const targets = registrationTargets(avus, attributes);
  if (!targets.length) return undefined;
  const server = await serverOf(deps.irods, sync, avus, attributes);
  const configured = `${target.host}:${target.port}`;
  if (server === undefined) {
    return skipped('no_server', `No collection at or above ${path} names the OMERO server it was registered in (${attributes.server}).`);
  }
  if (server !== configured) {
    return skipped('other_server', `${path} was registered in OMERO at ${server}; this agent writes to ${configured}.`, { server });
  }

  const pairs = annotationPairs(avus, config.omeroSync);
  const rows = await omeroAnnotations.annotationsOfObject(deps.pool, server, path);
  const recorded = new Map(rows.map((r) => [`${r.target_type}:${r.target_id}`, r]));
  const summary = { server, pairs: pairs.length, targets: targets.map((t) => `${t.type}:${t.id}`) };
  if (alreadyWritten(targets, recorded, pairs)) {
    return { state: 'succeeded', outcome: { ...summary, action: 'unchanged', annotations: rows.map((r) => r.annotation_id) } };
  }

  if (target.password === undefined || target.password === '') {
    throw new SyncFailure('omero_login_refused', `No password is set for the OMERO server "${target.name}" (${passwordSetting(config, target.name)}), so the agent cannot log in to it.`, false);
  }
  const record = (t: OmeroTarget, annotationId: string, written: readonly Pair[]) =>
    omeroAnnotations.recordAnnotation(deps.pool, {
      server,
      logicalPath: path,
      targetType: t.type,
      targetId: Number(t.id),
      annotationId: Number(annotationId),
      written,
      syncId: sync.id,
    });
  const session = await openOmeroSession(omeroSessionOptions(config, deps.log, signal, target));
  let kept: KeptAnnotation[];
  try {
    kept = await keepMapAnnotations(session.cli, {
      namespace: config.omeroSync.namespace,
      pairs,
      targets: targets.map((t) => {
        const row = recorded.get(`${t.type}:${t.id}`);
        return { ...t, annotationId: row ? String(row.annotation_id) : undefined };
      }),
      // Recorded the moment it exists, holding nothing yet: a retry then updates it.
      onCreated: (t, annotationId) => record(t, annotationId, []),
      signal,
    });
  } finally {
    await session.close();
  }
  for (const k of kept) if (k.annotationId !== undefined) await record(k, k.annotationId, pairs);
  return {
    state: 'succeeded',
    outcome: { ...summary, action: 'written', annotations: kept.map((k) => ({ target: `${k.type}:${k.id}`, annotation_id: k.annotationId ?? null, action: k.action, changes: k.changes })) },
  };
}
