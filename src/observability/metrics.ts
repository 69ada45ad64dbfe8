import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Step attempts last from milliseconds (inspect) to an hour (a big expansion or an OMERO import). */
const STEP_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** One iRODS HTTP API request. */
const REQUEST_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The agent's Prometheus metrics, on a registry of its own (no global default registry, so two
 * agents or tests in one process do not collide). Served at /metrics.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'ioa_' });
  // Each metric on the agent's registry: the name, what it means, and its labels.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
  return {
    registry,
    events: counter('ioa_events_total', 'Webhook events received, by verdict (accepted, duplicate, replayed, ignored, rejected)', ['verdict']),
    eventAnswers: counter('ioa_event_answers_total', 'Answers of the event routes by HTTP status (202, 200, 400, 401, 413, 503: the store or the queue was down)', ['status']),
    jobs: counter('ioa_job_transitions_total', 'Job state transitions, by step and resulting state', ['step', 'state']),
    stepDuration: histogram('ioa_step_duration_seconds', 'Duration of pipeline step attempts, by step and outcome', ['step', 'outcome'], STEP_SECONDS),
    bytesExpanded: counter('ioa_expanded_bytes_total', 'Bytes written into iRODS by expansion'),
    filesExpanded: counter('ioa_expanded_files_total', 'Files written into iRODS by expansion'),
    queueDepth: gauge('ioa_queue_jobs', 'BullMQ jobs per step queue and state (sampled at scrape time)', ['queue', 'state']),
    irodsRequests: histogram('ioa_irods_request_duration_seconds', 'iRODS HTTP API requests, by operation and outcome (ok, irods_error, http_error, transport_error)', ['op', 'outcome'], REQUEST_SECONDS),
    // Admin surface (sampled from PostgreSQL at scrape time, or counted by the sweeper and the admin API).
    jobsCurrent: gauge('ioa_jobs', 'Jobs per state and current step, from PostgreSQL (sampled at scrape time)', ['state', 'step']),
    jobsStuck: gauge('ioa_jobs_stuck', 'Queued or running jobs unchanged for longer than AGENT_STUCK_AFTER_SECONDS (sampled at scrape time)'),
    sweeps: counter('ioa_sweeps_total', 'Sweeper runs, by outcome (done, skipped: another agent held the lock, failed)', ['outcome']),
    sweepFound: counter('ioa_sweep_found_total', 'What sweeps found, by kind (missed_archive: an archive without a job, stuck_job, outbox: a job enqueued late)', ['kind']),
    adminActions: counter('ioa_admin_actions_total', 'Replays and cancels asked through the admin API, by action and outcome', ['action', 'outcome']),
  };
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
