/**
 * Child process of the expand bench: one per measured phase, so that its peak RSS is that
 * phase's own. It does what the parent asks once:
 *   upload        the archive as one object (the raw transport baseline, and the set-up); with
 *                 `verified`, also hashed on the way and compared with iRODS's checksum, as the
 *                 expand step verifies each file (and as `iput -K` does)
 *   small-writes  N small objects, bare or with the per-file requests the expand step makes
 *   expand        the real agent (HTTP app + workers, fresh database and queue prefix) expands
 *                 an archive already in iRODS after a signed event; timed from job_steps
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import PQueue from 'p-queue';
import type pg from 'pg';
import { createHash, randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { createApp } from '../../src/http/app.js';
import { signWebhook } from '../../src/intake/webhook-signature.js';
import { createIrodsClientFromConfig } from '../../src/cli/irods-from-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { PipelineQueues, createProducerConnection } from '../../src/pipeline/queues.js';
import { createStepHandlers } from '../../src/pipeline/steps/index.js';
import { hashedChunks } from '../../src/pipeline/steps/tree-writer.js';
import { startWorkers } from '../../src/pipeline/workers.js';
import type { JobRow, JobStepRow } from '../../src/store/index.js';
import { failChild, serveParent } from '../support/child-process.js';
import { inProcessProfiler } from '../support/cpu-profiler.js';
import { createBenchDatabase } from '../support/database.js';
import { residentHighWater, resetHighWater } from '../support/peak-rss.js';
import { BENCH_REDIS_URL, createBenchQueuePrefix } from '../support/queue-prefix.js';
import { AGENT_ACCOUNT, ALICE, clientFor } from './identities.js';

const SECRET = `whsec_${Buffer.from('irods-omero-agent-bench-expand-32b').toString('base64')}`;
/**
 * The highest RSS seen, sampled every 250 ms: a fallback where /proc is not there (reading RSS
 * costs a system call, so not more often).
 */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export interface Measured {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  /** The kernel's high-water mark (VmHWM) since the phase started (start-up included in a fresh process). */
  readonly maxRssBytes: number;
}

async function measure<T>(work: () => Promise<T>): Promise<T & Measured> {
  await resetHighWater();
  const rss = rssSampler();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { ...result, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: rss.stop(), maxRssBytes: await residentHighWater() };
}

async function upload(args: { baseUrl: string; file: string; lpath: string; verified?: boolean }) {
  const client = clientFor(args.baseUrl, ALICE);
  try {
    await client.collections.create(dirname(args.lpath), { intermediates: true });
    const { size } = await stat(args.file);
    return await measure(async () => {
      const source = createReadStream(args.file, { highWaterMark: 1024 * 1024 });
      if (!args.verified) {
        const written = await client.dataObjects.writeStream(args.lpath, source, { size });
        return { bytes: size, parallel: written.parallel };
      }
      // Hashed the way the expand step hashes an entry on its way out.
      const hash = createHash('sha256');
      const written = await client.dataObjects.writeStream(args.lpath, hashedChunks(source, hash), { size });
      const local = `sha2:${hash.digest('base64')}`;
      const remote = await client.dataObjects.calculateChecksum(args.lpath, { force: true, admin: false });
      if (remote !== local) throw new Error(`verified upload of ${args.lpath}: iRODS has ${remote}, the file ${local}`);
      return { bytes: size, parallel: written.parallel };
    });
  } finally {
    await client.close();
  }
}

/**
 * The stand-in's own rate for small objects, with the expand step's concurrency: bare (one write
 * each) and as the expand step writes a file (write, checksum, source-archive AVU).
 */
async function smallWrites(args: { baseUrl: string; collection: string; count: number; maxBytes: number; concurrency: number; perFile: 'write' | 'expand-like' }) {
  const client = clientFor(args.baseUrl, AGENT_ACCOUNT);
  try {
    await client.collections.create(args.collection, { intermediates: true });
    const queue = new PQueue({ concurrency: args.concurrency });
    return await measure(async () => {
      for (let i = 0; i < args.count; i++) {
        const bytes = Buffer.alloc(1 + ((i * 2654435761) % args.maxBytes), i % 251);
        const lpath = `${args.collection}/small-${i}.bin`;
        await queue.onSizeLessThan(args.concurrency);
        void queue.add(async () => {
          await client.dataObjects.writeChunk(lpath, bytes, { offset: 0, truncate: true });
          if (args.perFile === 'expand-like') {
            await client.dataObjects.calculateChecksum(lpath, { force: true });
            await client.dataObjects.modifyMetadata(lpath, [{ operation: 'add', attribute: 'irods_omero_agent::source_archive', value: args.collection }]);
          }
        });
      }
      await queue.onIdle();
      return { files: args.count, requests: args.count * (args.perFile === 'write' ? 1 : 3) };
    });
  } finally {
    await client.close();
  }
}

interface ExpandResult {
  readonly state: JobRow['state'];
  readonly error: string | null;
  readonly eventToDoneSeconds: number;
  readonly steps: { step: string; seconds: number; attempts: number; detail: Record<string, unknown> }[];
  readonly idleRssBytes: number;
}

async function expand(args: { baseUrl: string; lpath: string; size: number; timeoutSeconds: number }): Promise<ExpandResult & Measured> {
  const db = await createBenchDatabase('expand');
  const redis = createBenchQueuePrefix('expand');
  const config = loadConfig({
    AGENT_DATABASE_URL: db.url,
    AGENT_REDIS_URL: BENCH_REDIS_URL,
    AGENT_QUEUE_PREFIX: redis.prefix,
    AGENT_PORT: '0',
    AGENT_WEBHOOK_SECRETS: SECRET,
    AGENT_WATCH: '/tempZone/home',
    // Waiting policies, not work: the archive is complete before the event is sent.
    AGENT_DEBOUNCE_SECONDS: '0',
    AGENT_STABLE_SECONDS: '0',
    AGENT_LOG_LEVEL: 'error',
    IRODS_HTTP_API_URL: args.baseUrl,
    IRODS_USERNAME: AGENT_ACCOUNT.name,
    IRODS_PASSWORD: AGENT_ACCOUNT.password,
  });
  const log = createLogger({ level: config.logLevel });
  const metrics = createMetrics({ defaultMetrics: false });
  const irods = createIrodsClientFromConfig(config, log);
  const connection = createProducerConnection(config.redisUrl);
  const queues = new PipelineQueues(connection, config.queuePrefix, { attempts: config.workers.attempts, backoffMs: config.workers.backoffMs });
  if (!(await queues.waitUntilReady())) throw new Error('Redis is not reachable on 127.0.0.1:6379');
  const app = await createApp({ config, pool: db.pool, queues, irods, log, metrics });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const workers = await startWorkers({ config, pool: db.pool, irods, log, metrics, queues, handlers: createStepHandlers(config, log) }, { outboxIntervalMs: 1_000 });
  const cleanup = async (): Promise<void> => {
    await app.close();
    await workers.close();
    await queues.close();
    connection.disconnect();
    await irods.close();
    await db.drop();
    await redis.cleanup();
  };
  interrupted = cleanup;
  try {
    const idleRssBytes = process.memoryUsage.rss();
    return await measure(async () => {
      const body = JSON.stringify({
        type: 'data_object.landed',
        timestamp: new Date().toISOString(),
        data: { zone: 'tempZone', logical_path: args.lpath, user: ALICE.name, pep: 'pep_api_data_obj_put_post', size: args.size },
      });
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(SECRET, `msg_${randomUUID()}`, new Date(), body) },
        body,
      });
      const answer = (await res.json()) as { job_id?: string };
      if (res.status !== 202 || !answer.job_id) throw new Error(`the event was not accepted: ${res.status} ${JSON.stringify(answer)}`);
      const job = await waitForJob(db.pool, answer.job_id, args.timeoutSeconds * 1000);
      const eventToDoneSeconds = (performance.now() - t0) / 1000;
      const { rows } = await db.pool.query<JobStepRow>('SELECT * FROM job_steps WHERE job_id = $1 ORDER BY started_at', [job.id]);
      return {
        state: job.state,
        error: job.error_code ? `${job.error_code}: ${job.error_message ?? ''}` : null,
        eventToDoneSeconds,
        steps: rows.map((r) => ({
          step: r.step,
          seconds: r.started_at && r.finished_at ? (r.finished_at.getTime() - r.started_at.getTime()) / 1000 : Number.NaN,
          attempts: r.attempts,
          detail: r.detail,
        })),
        idleRssBytes,
      };
    });
  } finally {
    interrupted = undefined;
    await cleanup();
  }
}

/** The cleanup of an expansion under way, for a close or Ctrl-C in the middle of it. */
let interrupted: (() => Promise<void>) | undefined;

async function waitForJob(pool: pg.Pool, jobId: string, timeoutMs: number): Promise<JobRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [jobId]);
    const job = rows[0];
    if (job && ['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.state ?? 'missing'} at ${job?.step ?? '?'} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const profiler = inProcessProfiler();
try {
  serveParent(
    {},
    {
      upload: (a) => upload(a as Parameters<typeof upload>[0]),
      'small-writes': (a) => smallWrites(a as Parameters<typeof smallWrites>[0]),
      expand: (a) => expand(a as Parameters<typeof expand>[0]),
      'profile-start': () => profiler.start(),
      'profile-stop': (file) => profiler.stop(file as string),
    },
    async () => {
      await interrupted?.();
    },
  );
} catch (err) {
  failChild(err);
}
