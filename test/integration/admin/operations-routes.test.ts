import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createApp } from '../../../src/http/app.js';
import { createLogger } from '../../../src/logging/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { PipelineQueues, createProducerConnection } from '../../../src/pipeline/queues.js';
import { TEST_READER_TOKEN } from '../../support/agent.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { TEST_REDIS_URL, createTestQueuePrefix } from '../../support/redis.js';

/** The routes probes and scrapers call all day: quiet in the log, documented with the operations. */

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let db: TestDatabase;
let app: FastifyInstance;
let url: string;
const prefix = createTestQueuePrefix('ops_routes');
const connection = createProducerConnection(TEST_REDIS_URL);

beforeAll(async () => {
  db = await createTestDatabase('ops_routes');
  const config = loadConfig({
    AGENT_DATABASE_URL: db.url,
    AGENT_QUEUE_PREFIX: prefix.prefix,
    AGENT_ADMIN_TOKENS: `reader:${TEST_READER_TOKEN}`,
    AGENT_LOG_LEVEL: 'info',
  });
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: 1, backoffMs: 100 });
  app = await createApp({ config, pool: db.pool, queues, irods: undefined, log: createLogger({ level: 'info' }, sink), metrics: createMetrics({ defaultMetrics: false }) });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  connection.disconnect();
  await db?.drop();
  await prefix.cleanup();
});

const loggedUrls = () => lines.map((l) => (l.req as { url?: string } | undefined)?.url ?? (l as { url?: string }).url).filter(Boolean);

describe('health and metrics routes', () => {
  it('answer without an access-log line at info, while other routes keep theirs', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/healthz']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    const jobs = await fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${TEST_READER_TOKEN}` } });
    expect(jobs.status).toBe(200);
    // The admin route's lines show the log is on; the probes' are absent.
    expect(loggedUrls()).toContain('/v1/jobs');
    expect(loggedUrls().filter((u) => ['/healthz', '/readyz', '/metrics'].includes(String(u)))).toEqual([]);
  });

  it('are grouped with the operations in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, { get?: { tags?: string[] } }> };
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(doc.paths[path]?.get?.tags).toEqual(['operations']);
  });
});
