import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ArchiveRow, JobProgress, JobRow } from '../store/index.js';
import type { StepName } from './steps.js';

/** What every step handler gets: the job, its archive, and the services, passed in. */
export interface StepContext {
  readonly step: StepName;
  /** 1 for the first attempt of this step in this run. */
  readonly attempt: number;
  readonly job: JobRow;
  readonly archive: ArchiveRow;
  readonly config: Config;
  readonly irods: IrodsClient;
  readonly pool: pg.Pool;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Aborted when the worker shuts down; pass it to long I/O. */
  readonly signal: AbortSignal;
  /** Throws StepCancelled when an admin asked to cancel; call it at entry boundaries. */
  checkCancelled(): Promise<void>;
  progress(update: JobProgress): Promise<void>;
  audit(action: string, lpath: string, detail?: Record<string, unknown>): Promise<void>;
  auditBatch(rows: readonly { action: string; lpath: string; detail?: Record<string, unknown> }[]): Promise<void>;
  /** Adds flags (e.g. incomplete) and human-readable warnings to the job. */
  flag(flags: readonly string[], warnings?: readonly string[]): Promise<void>;
  setTarget(lpath: string): Promise<void>;
}

export interface StepResult {
  /** Recorded on the job step (counts, timings, decisions). */
  readonly detail?: Record<string, unknown>;
}

export type StepHandler = (ctx: StepContext) => Promise<StepResult>;

export type StepRegistry = Partial<Record<StepName, StepHandler>>;
