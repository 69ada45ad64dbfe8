import { setMaxListeners } from 'node:events';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { flushOutbox } from './outbox.js';
import { createWorkerConnection } from './queues.js';
import { processStepJob, type RunnerDeps } from './run-step.js';
import type { StepJobData } from './queues.js';
import { ConfigError } from '../config/index.js';
import { STEP_ORDER, isStepName, type StepName } from './steps.js';

/**
 * One AbortSignal per job that aborts with the worker's shutdown or BullMQ's own signal. The
 * listeners are removed when the job ends (AbortSignal.any would keep one per job on the
 * long-lived shutdown signal), and the job's signal may have many listeners: every concurrent
 * iRODS request of an expansion listens to it.
 */
async function withJobSignal<T>(sources: readonly (AbortSignal | undefined)[], run: (signal: AbortSignal) => Promise<T>): Promise<T> {
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

export interface WorkerHost {
  close(): Promise<void>;
}

/**
 * Runs one BullMQ worker per step in this process (any number of processes on any number of
 * hosts may do the same against the same Redis and PostgreSQL), plus a periodic outbox flush so
 * jobs committed while Redis was away are picked up.
 */
export async function startWorkers(deps: RunnerDeps, options: { outboxIntervalMs?: number } = {}): Promise<WorkerHost> {
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
        // Expansion of one big entry can take a while between progress updates; BullMQ renews the
        // lock in the background, this only bounds how long a dead worker holds a job.
        lockDuration: 60_000,
        autorun: true,
      },
    );
    worker.on('error', (err) => deps.log.error({ err, step }, 'worker error'));
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
  deps.log.info({ steps: stepsToRun(deps.config.workers.steps), concurrency: deps.config.workers.concurrency }, 'workers started');

  return {
    async close() {
      clearInterval(timer);
      // Let running steps finish their current entry; abort long I/O after a grace period.
      const grace = setTimeout(() => shutdown.abort(), 10_000);
      grace.unref();
      await Promise.all(workers.map((w) => w.close()));
      clearTimeout(grace);
      for (const c of connections) c.disconnect();
    },
  };
}
