import { setMaxListeners } from 'node:events';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { reconcileArchiveStatuses } from './archive-status-sync.js';
import { failLostStep } from './orphaned-steps.js';
import { flushOutbox } from './outbox.js';
import { createWorkerConnection, isRedisConnectionError } from './queues.js';
import { processStepJob, type RunnerDeps } from './run-step.js';
import type { StepJobData } from './queues.js';
import { ConfigError } from '../config/index.js';
import { STEP_ORDER, isStepName, type StepName } from '../store/index.js';

/**
 * One AbortSignal per job that aborts with the worker's shutdown or BullMQ's own signal. The
 * listeners are removed when the job ends (AbortSignal.any would keep one per job on the
 * long-lived shutdown signal), and the job's signal may have many listeners: every concurrent
 * iRODS request of an expansion listens to it.
 */
export async function withJobSignal<T>(sources: readonly (AbortSignal | undefined)[], run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const abort = () => controller.abort();
  const live = sources.filter((s): s is AbortSignal => s !== undefined);
  for (const s of live) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', abort, { once: true });
  }
  try {
    return await run(controller.signal);
  } finally {
    for (const s of live) s.removeEventListener('abort', abort);
  }
}

/**
 * The steps this process works on: all by default, or those AGENT_WORKER_STEPS names (the omero
 * step, say, on the OMERO server host, where `ln_s` import must run).
 */
export function stepsToRun(names: readonly string[]): StepName[] {
  if (!names.length) return [...STEP_ORDER];
  const unknown = names.filter((n) => !isStepName(n));
  if (unknown.length) throw new ConfigError('AGENT_WORKER_STEPS', `unknown step(s) ${unknown.join(', ')}; the steps are ${STEP_ORDER.join(', ')}`);
  return STEP_ORDER.filter((s) => names.includes(s));
}

/**
 * How fast another worker takes over a step whose process died (kill -9, out of memory, a lost
 * host): BullMQ holds a lock per running job, renewed every lockDuration / 2, and every
 * stalledInterval one worker of the queue moves the jobs whose lock has lapsed back to waiting.
 * A dead worker's step is therefore back in the queue within lockDuration + stalledInterval (11 s)
 * instead of BullMQ's 30 s + 30 s (or the 60 s lock this agent had before). The cost: a lock
 * renewal per running step every 4 s and a stall check per queue and process every 3 s (small
 * Redis scripts), and an event loop blocked for more than 4–8 s (a renewal missed) makes the
 * step look dead: another worker runs it again, which every step survives (they are idempotent,
 * and the first worker's result is skipped as stale). A step whose worker dies three times is
 * failed by BullMQ (maxStalledCount) rather than looping; the next worker to see it, or the
 * sweeper, fails its job in PostgreSQL with `worker_lost` (orphaned-steps.ts).
 */
// 11 s leaves 4 s of the 15 s promised for a loaded machine's late timers (12.0 s was measured
// with 10 s + 4 s under a load average of 10).
export const TAKEOVER = { lockDuration: 8_000, stalledInterval: 3_000, maxStalledCount: 2 } as const;

/** How often a worker process writes the status AVUs that finished jobs could not (iRODS was away). */
const STATUS_RETRY_MS = 15_000;

export interface WorkerHost {
  close(): Promise<void>;
}

/**
 * Runs one BullMQ worker per step in this process (any number of processes on any number of
 * hosts may do the same against the same Redis and PostgreSQL), plus a periodic outbox flush so
 * jobs committed while Redis was away are picked up.
 */
export async function startWorkers(deps: RunnerDeps, options: { outboxIntervalMs?: number; statusRetryIntervalMs?: number } = {}): Promise<WorkerHost> {
  const connections: Redis[] = [];
  const shutdown = new AbortController();
  const workers = stepsToRun(deps.config.workers.steps).map((step) => {
    const connection = createWorkerConnection(deps.config.redisUrl);
    connections.push(connection);
    const worker = new Worker<StepJobData>(
      step,
      (job, token, signal) => withJobSignal([shutdown.signal, signal], (jobSignal) => processStepJob(deps, job, token, jobSignal)),
      {
        connection,
        prefix: deps.config.queuePrefix,
        concurrency: step === 'expand' ? deps.config.workers.expandConcurrency : deps.config.workers.concurrency,
        ...TAKEOVER,
        autorun: true,
      },
    );
    // A Redis outage is said once per attempt by the runtime's own connection, not by each of
    // the workers' connections (two per step) on every reconnect.
    worker.on('error', (err) => {
      if (!isRedisConnectionError(err)) deps.log.error({ err, step }, 'worker error');
    });
    // BullMQ fails some step jobs without our runner (a worker that died too often): record them.
    worker.on('failed', (job) => {
      if (!job) return;
      void (async () => {
        if (await job.isFailed()) await failLostStep(deps, job.data, job.failedReason);
      })().catch((err: unknown) => deps.log.warn({ err, job_id: job.data.jobId }, 'could not check a failed step job; the sweeper will'));
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const flush = (graceSeconds?: number) =>
    flushOutbox(deps, { graceSeconds }).catch((err: unknown) => {
      deps.log.warn({ err }, 'outbox flush failed; will try again');
      return 0;
    });
  // At start, whatever a crashed agent left unsent; then only jobs overdue by the grace.
  await flush(0);
  const interval = options.outboxIntervalMs ?? 5_000;
  const timer = setInterval(() => void flush(), interval);
  timer.unref();

  // At start and then every few seconds: status AVUs that finished jobs could not write.
  let reconciling: Promise<unknown> | undefined;
  const reconcile = () => {
    reconciling ??= reconcileArchiveStatuses(deps)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not reconcile the status AVUs of finished jobs; will try again'))
      .finally(() => (reconciling = undefined));
    return reconciling;
  };
  void reconcile();
  const statusTimer = setInterval(() => void reconcile(), options.statusRetryIntervalMs ?? STATUS_RETRY_MS);
  statusTimer.unref();
  deps.log.info({ steps: stepsToRun(deps.config.workers.steps), concurrency: deps.config.workers.concurrency }, 'workers started');

  return {
    async close() {
      clearInterval(timer);
      clearInterval(statusTimer);
      await reconciling;
      // Let running steps finish their current entry; abort long I/O after a grace period.
      const grace = setTimeout(() => shutdown.abort(), 10_000);
      grace.unref();
      await Promise.all(workers.map((w) => w.close()));
      clearTimeout(grace);
      for (const c of connections) c.disconnect();
    },
  };
}
