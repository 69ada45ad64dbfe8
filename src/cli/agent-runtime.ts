import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { createApp } from '../http/app.js';
import { startMarkPoller, type MarkPollerHandle } from '../intake/landed-marks.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import { createMetrics, irodsRequestObserver, type Metrics } from '../observability/metrics.js';
import { tellUploaderQueued } from '../pipeline/archive-status.js';
import { PipelineQueues, createProducerConnection } from '../pipeline/queues.js';
import { createStepHandlers, openUserMapSource } from '../pipeline/steps/index.js';
import { startSweeper, type SweeperHandle } from '../pipeline/sweeper.js';
import { startWorkers, type WorkerHost } from '../pipeline/workers.js';
import { createPool, migrate } from '../store/index.js';
import { createIrodsClientFromConfig } from './irods-from-config.js';

export interface AgentRuntime {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient;
  readonly metrics: Metrics;
  readonly app: FastifyInstance | undefined;
  readonly workers: WorkerHost | undefined;
  /** The URL the HTTP API listens on, when it does. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly http: boolean;
  readonly workers: boolean;
  readonly migrate?: boolean;
}

/**
 * Assembles an agent process: the HTTP API (`serve`), the workers (`work`), or both (`start`),
 * over one pool, one producer connection and one iRODS client. close() drains in order: stop
 * accepting requests, let running steps reach a boundary, then release connections.
 */
export async function startRuntime(config: Config, log: Logger, options: RuntimeOptions): Promise<AgentRuntime> {
  // First, so an invalid AGENT_USER_MAP stops the agent before it touches anything.
  const userMap = options.workers ? await openUserMapSource(config, log) : undefined;
  if (options.migrate ?? true) await migrate(config.databaseUrl, log);
  const metrics = createMetrics();
  const irods = createIrodsClientFromConfig(config, log, { onRequest: irodsRequestObserver(metrics) });
  const pool = createPool(config.databaseUrl, {
    onIdleError: (err) => log.warn({ err }, 'an idle PostgreSQL connection was lost; the next query reconnects'),
  });
  const connection: Redis = createProducerConnection(config.redisUrl);
  connection.on('error', (err) => log.debug({ err }, 'redis connection error'));
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
  if (!(await queues.waitUntilReady(5_000))) log.warn({ redis: config.redisUrl }, 'Redis is not reachable yet; events get 503 until it is');

  let app: FastifyInstance | undefined;
  let workers: WorkerHost | undefined;
  let sweeper: SweeperHandle | undefined;
  let marks: MarkPollerHandle | undefined;
  let url: string | undefined;
  try {
    if (options.workers) {
      workers = await startWorkers({ config, pool, irods, log, metrics, queues, handlers: createStepHandlers(config, log, { userMap }) });
      // Processes that run workers also reconcile (AGENT_SWEEP_INTERVAL_SECONDS; an advisory lock lets one sweep at a time).
      sweeper = startSweeper({ config, pool, queues, irods, log, metrics });
      // And take the native rule's marks (AGENT_MARK_POLL_SECONDS), telling the uploader `queued` as an event would.
      marks = startMarkPoller({ config, pool, queues, irods, log, onAccepted: tellUploaderQueued(irods) });
    }
    if (options.http) {
      app = await createApp({ config, pool, queues, irods, log, metrics });
      url = await app.listen({ host: config.http.host, port: config.http.port });
    }
  } catch (err) {
    await sweeper?.close().catch(() => undefined);
    await marks?.close().catch(() => undefined);
    await workers?.close().catch(() => undefined);
    await userMap?.close().catch(() => undefined);
    await queues.close().catch(() => undefined);
    connection.disconnect();
    await pool.end().catch(() => undefined);
    await irods.close().catch(() => undefined);
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    pool,
    queues,
    irods,
    metrics,
    app,
    workers,
    url,
    close() {
      closing ??= (async () => {
        await app?.close();
        await sweeper?.close();
        await marks?.close();
        await workers?.close();
        await userMap?.close();
        await queues.close();
        connection.disconnect();
        await pool.end();
        await irods.close();
      })();
      return closing;
    },
  };
}
