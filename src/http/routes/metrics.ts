import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { PipelineQueues } from '../../pipeline/queues.js';
import { countStuckJobs, jobCountsByStateAndStep } from '../../store/repositories/job-search.js';
import { AdminTokens, checkAdmin } from '../plugins/admin-auth.js';

/** BullMQ states worth a gauge (getJobCounts answers 0 for the ones not in use). */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed', 'completed'] as const;
/** A scrape must answer even when Redis or PostgreSQL hangs; their gauges keep the last sample then. */
const SAMPLE_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${SAMPLE_TIMEOUT_MS} ms`)), SAMPLE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface MetricsRouteDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/**
 * GET /metrics for Prometheus. Counters and histograms are this process's own; queue depths
 * (BullMQ getJobCounts), jobs by state and step, and stuck jobs are sampled at scrape time, so
 * any agent serving HTTP reports them for the whole deployment.
 * Open unless AGENT_METRICS_TOKEN is set; then that token (or any admin token) is required.
 */
export function metricsRoutes(deps: MetricsRouteDeps) {
  const token = deps.config.admin.metricsToken;
  const tokens = token ? new AdminTokens([...deps.config.admin.tokens, { role: 'reader', token }]) : undefined;

  const sampleQueues = async (): Promise<void> => {
    for (const queue of deps.queues.all()) {
      const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), 'BullMQ getJobCounts');
      for (const state of QUEUE_STATES) deps.metrics.queueDepth.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
  };
  const sampleJobs = async (): Promise<void> => {
    const [rows, stuck] = await withTimeout(
      Promise.all([jobCountsByStateAndStep(deps.pool), countStuckJobs(deps.pool, deps.config.sweeper.stuckAfterSeconds)]),
      'job counts',
    );
    // Reset first: a state/step pair with no jobs left must drop to nothing, not keep its old value.
    deps.metrics.jobsCurrent.reset();
    for (const r of rows) deps.metrics.jobsCurrent.set({ state: r.state, step: r.step }, r.n);
    deps.metrics.jobsStuck.set(stuck);
  };

  return async function register(app: FastifyInstance): Promise<void> {
    app.get(
      '/metrics',
      {
        // Scraped every few seconds: no access log line per scrape at info.
        logLevel: 'warn',
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          description: 'Open unless AGENT_METRICS_TOKEN is set; then `Authorization: Bearer <that token or an admin token>`.',
          tags: ['operations'],
          ...(tokens ? { security: [{ metricsToken: [] }] } : {}),
        },
      },
      async (request, reply) => {
        if (tokens) {
          const check = checkAdmin(tokens, request, 'reader');
          if (!check.ok) {
            if (check.status === 401) reply.header('www-authenticate', 'Bearer realm="irods-omero-agent metrics"');
            return reply.code(check.status).send({ error: check.code, message: check.message });
          }
        }
        const results = await Promise.allSettled([sampleQueues(), sampleJobs()]);
        for (const r of results) if (r.status === 'rejected') request.log.warn({ err: r.reason as unknown }, 'a metrics sample failed; serving the last values');
        return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    );
  };
}
