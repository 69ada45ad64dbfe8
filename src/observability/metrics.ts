import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The agent's Prometheus metrics, on a registry of its own (no global default registry, so two
 * agents or tests in one process do not collide). Served at /metrics.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'ioa_' });
  const metrics = {
    registry,
    events: new Counter({
      name: 'ioa_events_total',
      help: 'Webhook events received, by verdict (accepted, duplicate, replayed, ignored, rejected)',
      labelNames: ['verdict'] as const,
      registers: [registry],
    }),
    eventAnswers: new Counter({
      name: 'ioa_event_answers_total',
      help: 'Answers of the event routes by HTTP status (202, 200, 400, 401, 413, 503: the store or the queue was down)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'ioa_job_transitions_total',
      help: 'Job state transitions, by step and resulting state',
      labelNames: ['step', 'state'] as const,
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'ioa_step_duration_seconds',
      help: 'Duration of pipeline step attempts, by step and outcome',
      labelNames: ['step', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    bytesExpanded: new Counter({ name: 'ioa_expanded_bytes_total', help: 'Bytes written into iRODS by expansion', registers: [registry] }),
    filesExpanded: new Counter({ name: 'ioa_expanded_files_total', help: 'Files written into iRODS by expansion', registers: [registry] }),
    queueDepth: new Gauge({
      name: 'ioa_queue_jobs',
      help: 'BullMQ jobs per step queue and state (sampled at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    irodsRequests: new Histogram({
      name: 'ioa_irods_request_duration_seconds',
      help: 'iRODS HTTP API requests, by operation and outcome (ok, irods_error, http_error, transport_error)',
      labelNames: ['op', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    // Admin surface (sampled from PostgreSQL at scrape time, or counted by the sweeper and the admin API).
    jobsCurrent: new Gauge({
      name: 'ioa_jobs',
      help: 'Jobs per state and current step, from PostgreSQL (sampled at scrape time)',
      labelNames: ['state', 'step'] as const,
      registers: [registry],
    }),
    jobsStuck: new Gauge({
      name: 'ioa_jobs_stuck',
      help: 'Queued or running jobs unchanged for longer than AGENT_STUCK_AFTER_SECONDS (sampled at scrape time)',
      registers: [registry],
    }),
    sweeps: new Counter({
      name: 'ioa_sweeps_total',
      help: 'Sweeper runs, by outcome (done, skipped: another agent held the lock, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    sweepFound: new Counter({
      name: 'ioa_sweep_found_total',
      help: 'What sweeps found, by kind (missed_archive: an archive without a job, stuck_job, outbox: a job enqueued late)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    adminActions: new Counter({
      name: 'ioa_admin_actions_total',
      help: 'Replays and cancels asked through the admin API, by action and outcome',
      labelNames: ['action', 'outcome'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The iRODS client's onRequest hook feeding the request histogram. */
export function irodsRequestObserver(metrics: Metrics) {
  return (sample: { op: string; status: number; irodsStatus?: number; durationMs: number }): void => {
    const outcome =
      sample.status === 0 ? 'transport_error' : sample.status >= 400 ? 'http_error' : (sample.irodsStatus ?? 0) < 0 ? 'irods_error' : 'ok';
    metrics.irodsRequests.observe({ op: sample.op, outcome }, sample.durationMs / 1000);
  };
}
