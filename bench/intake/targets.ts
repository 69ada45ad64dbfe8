import Fastify, { type FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { createApp } from '../../src/http/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createProcessLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { PipelineQueues, createProducerConnection } from '../../src/pipeline/queues.js';
import { createBenchDatabase } from '../support/database.js';
import { BENCH_REDIS_URL, createBenchQueuePrefix } from '../support/queue-prefix.js';
import { BENCH_SECRET, BENCH_WATCH } from './signed-events.js';

/** The three servers the intake bench loads, each in a process of its own. */
export type TargetName = 'hello' | 'durable' | 'agent';
export const TARGETS: readonly TargetName[] = ['hello', 'durable', 'agent'];

export interface RunningTarget {
  readonly url: string;
  /** The PostgreSQL database it writes to (none for hello-world). */
  readonly database: string | undefined;
  /** What the server recorded: rows by verdict (agent) or raw rows and queued jobs (durable). */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** (a) The floor: fastify answering the same POST without doing anything. */
async function hello(): Promise<RunningTarget> {
  const app = Fastify({ logger: false });
  app.post('/v1/events', async () => ({ hello: 'world' }));
  const url = await listen(app);
  return { url, database: undefined, counts: async () => ({}), close: () => app.close() };
}

/**
 * (b) The least any durable intake must do: one INSERT of the raw body, one BullMQ add, no
 * verification. Same pool size and Redis as the agent.
 */
async function durable(): Promise<RunningTarget> {
  const db = await createBenchDatabase('intake_durable', { schema: false });
  await db.pool.query('CREATE TABLE raw_events (id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), body text NOT NULL)');
  const redis = createBenchQueuePrefix('intake-durable');
  const connection = createProducerConnection(BENCH_REDIS_URL);
  const queue = new Queue('events', { connection, prefix: redis.prefix });
  await queue.waitUntilReady();
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/v1/events', async (request, reply) => {
    const { rows } = await db.pool.query<{ id: string }>('INSERT INTO raw_events (body) VALUES ($1) RETURNING id', [request.body as string]);
    const id = (rows[0] as { id: string }).id;
    await queue.add('event', { id }, { jobId: `e${id}` });
    return reply.code(202).send({ accepted: true, id });
  });
  const url = await listen(app);
  return {
    url,
    database: db.name,
    async counts() {
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_events');
      return { rows: rows[0]?.n ?? 0, queued: await queue.count() };
    },
    async close() {
      await app.close();
      await queue.close();
      connection.disconnect();
      await db.drop();
      await redis.cleanup();
    },
  };
}

/**
 * (c) The real agent app as `irods-omero-agent serve` assembles it (HTTP only: the workers are
 * not what is measured), on a fresh database and queue prefix, production settings except the
 * log level, which the bench chooses (`info`, the default, writes to the discarded stdout).
 */
async function agent(logLevel: string): Promise<RunningTarget> {
  const db = await createBenchDatabase('intake_agent');
  const redis = createBenchQueuePrefix('intake-agent');
  const config = loadConfig({
    AGENT_DATABASE_URL: db.url,
    AGENT_REDIS_URL: BENCH_REDIS_URL,
    AGENT_QUEUE_PREFIX: redis.prefix,
    AGENT_PORT: '0',
    AGENT_WEBHOOK_SECRETS: BENCH_SECRET,
    AGENT_WATCH: BENCH_WATCH,
    AGENT_LOG_LEVEL: logLevel,
  });
  // As `irods-omero-agent start` logs: asynchronously, to stdout (discarded here).
  const log = createProcessLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: false });
  const connection = createProducerConnection(config.redisUrl);
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
  if (!(await queues.waitUntilReady())) throw new Error('Redis is not reachable on 127.0.0.1:6379');
  await db.pool.query('SELECT 1');
  const app = await createApp({ config, pool: db.pool, queues, irods: undefined, log, metrics });
  const url = await listen(app);
  return {
    url,
    database: db.name,
    async counts() {
      const { rows } = await db.pool.query<{ verdict: string; n: number }>('SELECT verdict, count(*)::int AS n FROM events GROUP BY verdict');
      const out: Record<string, number> = Object.fromEntries(rows.map((r) => [r.verdict, r.n]));
      const jobs = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
      out.jobs = jobs.rows[0]?.n ?? 0;
      return out;
    },
    async close() {
      await app.close();
      await queues.close();
      connection.disconnect();
      await db.drop();
      await redis.cleanup();
    },
  };
}

export function startTarget(name: TargetName, options: { logLevel: string }): Promise<RunningTarget> {
  switch (name) {
    case 'hello':
      return hello();
    case 'durable':
      return durable();
    case 'agent':
      return agent(options.logLevel);
  }
}
