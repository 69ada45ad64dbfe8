import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { createApp } from '../http/app.js';
import { startMarkPoller, type MarkPollerHandle } from '../intake/landed-marks.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import { createMetrics, irodsRequestObserver, type Metrics } from '../observability/metrics.js';
import { startSyncHost, type SyncHost } from '../pipeline/annotation-sync/sync-host.js';
import { AnnotationSyncQueue } from '../pipeline/annotation-sync/sync-queue.js';
import { tellUploaderQueued } from '../pipeline/archive-status.js';
import { startPendingBreakWriter } from '../pipeline/broken-registration.js';
import { PipelineQueues, createProducerConnection } from '../pipeline/queues.js';
import { createStepHandlers, openUserMapSource } from '../pipeline/steps/index.js';
import { registrationRecords } from '../pipeline/unregister/registration-records.js';
import { startSweeper, type SweeperHandle } from '../pipeline/sweeper.js';
import { startWorkers, stepsToRun, type WorkerHost } from '../pipeline/workers.js';
import { createPool, migrate, pingDatabase } from '../store/index.js';
import { createIrodsClientFromConfig } from './irods-from-config.js';
import { reportRedisAttempts, untilPostgresAnswers, untilRedisAnswers } from './service-availability.js';

export interface AgentRuntime {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient;
  readonly metrics: Metrics;
  readonly app: FastifyInstance | undefined;
  /** The URL the HTTP API listens on, when it does. */
  readonly url: string | undefined;
  /**
   * Settles when the process is fully up (schema migrated; with workers, Redis reached and the
   * workers started), or rejects when it cannot come up (a migration that fails): the caller
   * then closes the runtime and exits.
   */
  readonly started: Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly http: boolean;
  readonly workers: boolean;
  readonly migrate?: boolean;
}

/**
 * Assembles an agent process: the HTTP API (`serve`), the workers (`work`), or both (`start`),
 * over one pool, one producer connection and one iRODS client. The HTTP API listens at once;
 * PostgreSQL (and its migration) and Redis are waited for in the background, retried with
 * backoff and one log line per attempt, so a process started before its services answers
 * /healthz 200 and /readyz 503 meanwhile, and works as soon as they arrive. close() drains in
 * order: stop accepting requests, let running steps reach a boundary, then release connections.
 */
export async function startRuntime(config: Config, log: Logger, options: RuntimeOptions): Promise<AgentRuntime> {
  // First, so an invalid AGENT_USER_MAP stops the agent before it touches anything.
  const userMap = options.workers ? await openUserMapSource(config, log) : undefined;
  const metrics = createMetrics();
  const irods = createIrodsClientFromConfig(config, log, { onRequest: irodsRequestObserver(metrics) });
  const pool = createPool(config.databaseUrl, {
    onIdleError: (err) => log.warn({ err }, 'an idle PostgreSQL connection was lost; the next query reconnects'),
  });
  const connection: Redis = createProducerConnection(config.redisUrl);
  reportRedisAttempts(connection, config.redisUrl, log);
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
  const syncQueue = new AnnotationSyncQueue(connection, config.queuePrefix, { attempts: config.omeroSync.attempts, backoffMs: config.omeroSync.backoffMs });

  let schemaReady = false;
  let workers: WorkerHost | undefined;
  let sweeper: SweeperHandle | undefined;
  let marks: MarkPollerHandle | undefined;
  let syncHost: SyncHost | undefined;
  let breaks: { close(): Promise<void> } | undefined;
  const stopping = new AbortController();

  const releaseConnections = async () => {
    await userMap?.close();
    await queues.close();
    await syncQueue.close();
    connection.disconnect();
    await pool.end();
    await irods.close();
  };

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (options.http) {
    try {
      const syncs = config.omeroSync.enabled ? syncQueue : undefined;
      app = await createApp({ config, pool, queues, irods, log, metrics, schemaReady: () => schemaReady, syncs });
      url = await app.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      await app?.close().catch(() => undefined);
      await releaseConnections().catch(() => undefined);
      throw err;
    }
  }

  const started = (async () => {
    const migrateOrPing = async (): Promise<void> => {
      if (options.migrate ?? true) await migrate(config.databaseUrl, log);
      else await pingDatabase(pool);
    };
    await untilPostgresAnswers(config.databaseUrl, migrateOrPing, log, stopping.signal);
    schemaReady = true;
    if (!options.workers) return;
    await untilRedisAnswers(connection, stopping.signal);
    workers = await startWorkers({ config, pool, irods, log, metrics, queues, handlers: createStepHandlers(config, log, { userMap, registrationRecords: registrationRecords(pool) }) });
    // Processes that run workers also reconcile (AGENT_SWEEP_INTERVAL_SECONDS; an advisory lock lets one sweep at a time).
    sweeper = startSweeper({ config, pool, queues, irods, log, metrics });
    // And take the native rule's marks (AGENT_MARK_POLL_SECONDS), telling the uploader `queued` as an event would.
    marks = startMarkPoller({ config, pool, queues, irods, log, onAccepted: tellUploaderQueued(irods) });
    // And write the broken-registration AVUs iRODS did not take when the event came.
    breaks = startPendingBreakWriter({ pool, irods, log });
    // And keep iRODS metadata in OMERO where the OMERO CLI is: the processes that run the omero step.
    if (config.omeroSync.enabled && stepsToRun(config.workers.steps).includes('omero')) {
      syncHost = await startSyncHost({ config, pool, irods, log, queue: syncQueue });
    }
  })();
  // Observed here so a failure while nobody awaits yet is not an unhandled rejection.
  started.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    config,
    pool,
    queues,
    irods,
    metrics,
    app,
    url,
    started,
    close() {
      closing ??= (async () => {
        stopping.abort();
        await app?.close();
        await started.catch(() => undefined);
        await sweeper?.close();
        await marks?.close();
        await syncHost?.close();
        await breaks?.close();
        await workers?.close();
        await releaseConnections();
      })();
      return closing;
    },
  };
}
