import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { archives, audit, entries, jobSteps, jobs, lifecycle, type ArchiveRow, type JobRow, type StepName } from '../store/index.js';
import type { StepContext } from './step-context.js';
import { StepCancelled } from './step-errors.js';

export interface StepContextDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly irods: IrodsClient;
  readonly metrics: Metrics;
}

/** The context of one attempt of `step`: every write goes to this job, this run and this step. */
export function buildStepContext(
  deps: StepContextDeps,
  at: { readonly job: JobRow; readonly archive: ArchiveRow; readonly step: StepName; readonly attempt: number },
  signal: AbortSignal,
  log: Logger,
): StepContext {
  const { pool } = deps;
  const { job, archive, step } = at;
  const pointer = { jobId: job.id, run: job.run, step };
  return {
    step,
    attempt: at.attempt,
    job,
    archive,
    config: deps.config,
    irods: deps.irods,
    log,
    metrics: deps.metrics,
    signal,
    async checkCancelled() {
      if (await jobs.cancelRequested(pool, job.id)) throw new StepCancelled();
    },
    progress: (update) => lifecycle.recordProgress(pool, job.id, update),
    audit: (action, lpath, detail) => audit.recordAudit(pool, job.id, action, lpath, detail),
    auditBatch: (rows) => audit.recordAuditBatch(pool, job.id, rows),
    audited: (action, lpath) => audit.hasAudit(pool, job.id, action, lpath),
    flag: (flags, warnings = []) => lifecycle.recordFlags(pool, pointer, flags, warnings),
    setTarget: (lpath) => lifecycle.recordTarget(pool, job.id, lpath),
    // A registration on demand works on the tree its landing job expanded.
    recordedEntries: () => entries.entriesForJob(pool, job.source_job_id ?? job.id),
    recordEntries: (rows) => entries.upsertEntries(pool, job.id, rows),
    updateArchiveFacts: (facts) => archives.updateArchiveFacts(pool, archive.id, facts),
    replaceArchiveVersion: (facts) => archives.replaceArchiveVersion(pool, archive.id, facts),
    currentJob: async () => (await jobs.getJob(pool, job.id)) ?? job,
    stepHistory: () => jobSteps.stepsForJob(pool, job.id),
    recordDetail: (detail) => lifecycle.recordDetail(pool, pointer, detail),
  };
}
