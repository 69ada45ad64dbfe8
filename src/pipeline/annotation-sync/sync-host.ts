import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createWorkerConnection, isRedisConnectionError } from '../queues.js';
import { TAKEOVER, withJobSignal } from '../workers.js';
import type { ObjectSyncDeps } from './object-sync.js';
import { processSyncJob } from './sync-job.js';
import { flushSyncOutbox } from './sync-outbox.js';
import { SYNC_QUEUE, type AnnotationSyncQueue, type SyncJobData } from './sync-queue.js';

export interface SyncHostDeps extends ObjectSyncDeps {
  readonly queue: AnnotationSyncQueue;
}

export interface SyncHost {
  close(): Promise<void>;
}

/** How often the host schedules syncs that never reached the queue. */
const OUTBOX_MS = 15_000;

/**
 * The annotation sync in one agent process: a worker on the sync queue (as many syncs at once as
 * AGENT_WORKER_CONCURRENCY), plus, at start and every few seconds, the syncs that never reached
 * the queue. Run where the OMERO CLI is (the processes that run the omero step).
 */
export async function startSyncHost(deps: SyncHostDeps, options: { readonly outboxIntervalMs?: number } = {}): Promise<SyncHost> {
  const shutdown = new AbortController();
  const connection: Redis = createWorkerConnection(deps.config.redisUrl);
  const worker = new Worker<SyncJobData>(
    SYNC_QUEUE,
    (job, token, signal) => withJobSignal([shutdown.signal, signal], (jobSignal) => processSyncJob(deps, job, token, jobSignal)),
    { connection, prefix: deps.config.queuePrefix, concurrency: deps.config.workers.concurrency, ...TAKEOVER, autorun: true },
  );
  worker.on('error', (err) => {
    if (!isRedisConnectionError(err)) deps.log.error({ err }, 'omero sync worker error');
  });
  await worker.waitUntilReady();

  let running: Promise<unknown> | undefined;
  const flush = (graceSeconds?: number) => {
    running ??= flushSyncOutbox({ pool: deps.pool, queue: deps.queue, log: deps.log }, { graceSeconds })
      .catch((err: unknown) => deps.log.warn({ err }, 'could not schedule the omero syncs of the outbox; will try again'))
      .finally(() => (running = undefined));
    return running;
  };
  // At start, whatever a crashed agent left unscheduled; then only syncs overdue by the grace.
  await flush(0);
  const timer = setInterval(() => void flush(), options.outboxIntervalMs ?? OUTBOX_MS);
  timer.unref();
  deps.log.info({ concurrency: deps.config.workers.concurrency }, 'omero annotation sync started');

  return {
    async close() {
      clearInterval(timer);
      await running;
      const grace = setTimeout(() => shutdown.abort(), 10_000);
      grace.unref();
      await worker.close();
      clearTimeout(grace);
      connection.disconnect();
    },
  };
}
