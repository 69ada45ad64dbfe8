import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/http/app.js';
import type { IrodsClient } from '../../src/irods/types.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { signWebhook } from '../../src/intake/webhook-signature.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { startSyncHost, type SyncHost } from '../../src/pipeline/annotation-sync/sync-host.js';
import { startPendingBreakWriter } from '../../src/pipeline/broken-registration.js';
import { AnnotationSyncQueue } from '../../src/pipeline/annotation-sync/sync-queue.js';
import { PipelineQueues, createProducerConnection } from '../../src/pipeline/queues.js';
import type { StepRegistry } from '../../src/pipeline/step-context.js';
import { createStepHandlers, openUserMapSource, type OpenedUserMapSource } from '../../src/pipeline/steps/index.js';
import { registrationRecords } from '../../src/pipeline/unregister/registration-records.js';
import { startWorkers, type WorkerHost } from '../../src/pipeline/workers.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TEST_REDIS_URL, createTestQueuePrefix } from './redis.js';

export const TEST_SECRET = `whsec_${Buffer.from('irods-omero-agent-test-secret-32b').toString('base64')}`;
export const TEST_OPERATOR_TOKEN = 'operator-token-0123456789';
export const TEST_READER_TOKEN = 'reader-token-0123456789ab';

export interface TestAgent {
  readonly url: string;
  readonly config: Config;
  readonly db: TestDatabase;
  readonly queues: PipelineQueues;
  /** The annotation sync's queue (metadata.changed events schedule syncs on it when the sync is on). */
  readonly syncQueue: AnnotationSyncQueue;
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  /** The workers, when started with `workers`. */
  readonly workers: WorkerHost | undefined;
  /** The user mapping the agent's own permissions step uses (`workers: true`): AGENT_USER_MAP or the defaults. */
  readonly userMap: OpenedUserMapSource | undefined;
  /** POSTs a body to /v1/events signed with the test secret (override id/timestamp/secret to test refusals). */
  postEvent(
    body: unknown,
    options?: { id?: string; timestamp?: Date; secret?: string; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

/** A landed event as the Python rule sends it. */
export function landedEvent(logicalPath: string, extra: Record<string, unknown> = {}, user = 'alice'): Record<string, unknown> {
  return {
    type: 'data_object.landed',
    timestamp: new Date().toISOString(),
    data: { zone: 'tempZone', logical_path: logicalPath, user, pep: 'pep_api_data_obj_put_post', ...extra },
  };
}

/**
 * The real agent app (HTTP only; workers come with the pipeline) on a fresh database and queue
 * prefix, listening on an ephemeral port.
 */
export async function startTestAgent(
  options: {
    env?: Record<string, string>;
    irods?: IrodsClient;
    label?: string;
    /** Run workers too: `true` for the agent's own step handlers, or a registry of the test's. */
    workers?: boolean | StepRegistry;
  } = {},
): Promise<TestAgent> {
  const label = options.label ?? 'agent';
  const db = await createTestDatabase(label);
  const redisPrefix = createTestQueuePrefix(label);
  const config = loadConfig({
    AGENT_DATABASE_URL: db.url,
    AGENT_REDIS_URL: TEST_REDIS_URL,
    AGENT_QUEUE_PREFIX: redisPrefix.prefix,
    AGENT_PORT: '0',
    AGENT_WEBHOOK_SECRETS: TEST_SECRET,
    AGENT_ADMIN_TOKENS: `operator:${TEST_OPERATOR_TOKEN} reader:${TEST_READER_TOKEN}`,
    AGENT_WATCH: '/tempZone/home',
    AGENT_DEBOUNCE_SECONDS: '0',
    AGENT_STABLE_SECONDS: '0',
    AGENT_STEP_BACKOFF_MS: '100',
    AGENT_LOG_LEVEL: 'silent',
    IRODS_PASSWORD: 'rods',
    ...options.env,
  });
  const log = createLogger({ level: config.logLevel });
  const metrics = createMetrics({ defaultMetrics: false });
  const connection = createProducerConnection(config.redisUrl);
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
  if (!(await queues.waitUntilReady())) throw new Error('Redis is not reachable on 127.0.0.1:6379');
  const syncQueue = new AnnotationSyncQueue(connection, config.queuePrefix, { attempts: config.omeroSync.attempts, backoffMs: config.omeroSync.backoffMs });
  const syncs = config.omeroSync.enabled ? syncQueue : undefined;
  const app = await createApp({ config, pool: db.pool, queues, irods: options.irods, log, metrics, syncs });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  let workers: WorkerHost | undefined;
  let syncHost: SyncHost | undefined;
  let breaks: { close(): Promise<void> } | undefined;
  let userMap: OpenedUserMapSource | undefined;
  if (options.workers) {
    if (!options.irods) throw new Error('workers need an iRODS client (options.irods)');
    if (options.workers === true) userMap = await openUserMapSource(config, log);
    const handlers = options.workers === true ? createStepHandlers(config, log, { userMap, registrationRecords: registrationRecords(db.pool) }) : options.workers;
    workers = await startWorkers({ config, pool: db.pool, irods: options.irods, log, metrics, queues, handlers }, { outboxIntervalMs: 500, statusRetryIntervalMs: 500 });
    breaks = startPendingBreakWriter({ pool: db.pool, irods: options.irods, log }, 500);
    if (config.omeroSync.enabled) syncHost = await startSyncHost({ config, pool: db.pool, irods: options.irods, log, queue: syncQueue }, { outboxIntervalMs: 500 });
  }
  return {
    url: address,
    config,
    db,
    queues,
    syncQueue,
    app,
    metrics,
    workers,
    userMap,
    async postEvent(body, opts = {}) {
      const raw = opts.rawBody ?? JSON.stringify(body);
      const signed = signWebhook(opts.secret ?? TEST_SECRET, opts.id ?? `msg_${randomUUID()}`, opts.timestamp ?? new Date(), raw);
      const res = await fetch(`${address}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed, ...opts.headers },
        body: raw,
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { text };
      }
      return { status: res.status, json, headers: res.headers };
    },
    async close() {
      await app.close();
      await syncHost?.close();
      await breaks?.close();
      await workers?.close();
      await userMap?.close();
      await queues.close();
      await syncQueue.close();
      connection.disconnect();
      await db.drop();
      await redisPrefix.cleanup();
    },
  };
}

export function randomName(prefix = 'x'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
