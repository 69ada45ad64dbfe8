import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ArchiveFacts, ArchiveRow, EntryRow, EntryUpdate, JobProgress, JobRow, JobStepRow, StepName } from '../store/index.js';

/**
 * What every step handler gets: the job, its archive, the services, and named functions for
 * what a step records. No database handle: a step cannot change its job's state (the runner
 * does, through the store's lifecycle).
 */
export interface StepContext {
  readonly step: StepName;
  /** 1 for the first attempt of this step in this run. */
  readonly attempt: number;
  readonly job: JobRow;
  readonly archive: ArchiveRow;
  readonly config: Config;
  readonly irods: IrodsClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Aborted when the worker shuts down; pass it to long I/O. */
  readonly signal: AbortSignal;
  /** Throws StepCancelled when an admin asked to cancel; call it at entry boundaries. */
  checkCancelled(): Promise<void>;
  progress(update: JobProgress): Promise<void>;
  audit(action: string, lpath: string, detail?: Record<string, unknown>): Promise<void>;
  auditBatch(rows: readonly { action: string; lpath: string; detail?: Record<string, unknown> }[]): Promise<void>;
  /** Whether this job's audit trail has `action` on `lpath` (e.g. it created the target itself). */
  audited(action: string, lpath: string): Promise<boolean>;
  /** Adds flags (e.g. incomplete) and human-readable warnings to the job. */
  flag(flags: readonly string[], warnings?: readonly string[]): Promise<void>;
  setTarget(lpath: string): Promise<void>;
  /** The job's entries as recorded so far, in every run, by archive path (a registration on demand: its landing job's). */
  recordedEntries(): Promise<Map<string, EntryRow>>;
  /** Records the state of entries (one statement for many: an expansion records thousands). */
  recordEntries(rows: readonly EntryUpdate[]): Promise<void>;
  /** Fills in facts about the archive's version that were not known yet (never erases one). */
  updateArchiveFacts(facts: ArchiveFacts & { format?: string }): Promise<void>;
  /** Replaces the version facts outright: the upload changed before the job started. */
  replaceArchiveVersion(facts: ArchiveFacts): Promise<void>;
  /** The job as it is now (flags and warnings added since the step started, the target). */
  currentJob(): Promise<JobRow>;
  /** Every step row of the job, all runs. */
  stepHistory(): Promise<JobStepRow[]>;
  /** Merges facts into this step's detail now (the runner writes the rest when the step ends). */
  recordDetail(detail: Record<string, unknown>): Promise<void>;
}

export interface StepResult {
  /** Recorded on the job step (counts, timings, decisions). */
  readonly detail?: Record<string, unknown>;
  /** The status the step wrote in the archive's status AVUs (finalize: expanded), remembered with its success. */
  readonly archiveStatus?: 'expanded';
}

export type StepHandler = (ctx: StepContext) => Promise<StepResult>;

export type StepRegistry = Partial<Record<StepName, StepHandler>>;
