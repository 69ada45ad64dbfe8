/**
 * The job lifecycle: every change of a job's state and of its steps' rows, each one guarded
 * transaction (it checks, inside the transaction, that the job is where the transition starts
 * from, and otherwise refuses and changes nothing). Nothing else writes `jobs`, `job_steps` or
 * `job_step_attempts` (ESLint keeps these files to src/store; callers go through store/index.ts).
 * The state diagram, with the function for each transition: docs/architecture.md, "Job lifecycle".
 *
 * Invariants (stated here once):
 * - A job stands at one run and one step (`jobs.run`, `jobs.step`). A BullMQ step job carries
 *   `{jobId, run, step}` (a StepPointer), and every transition a worker makes names that pointer
 *   and is refused once the job is elsewhere: the worker's result is stale and is dropped. Only
 *   a replay changes `run` (+1, so BullMQ ids are fresh); only an advance and a replay change
 *   `step`.
 * - `state`: queued (this run has not started a step yet), running (it has; also between steps,
 *   and while a step waits or is retried), then succeeded, failed or cancelled (finished:
 *   `finished_at` set). A finished job changes only by a replay, and in `archive_status`.
 * - `enqueued_at` is the outbox: NULL while a queued or running job's current step is not known to
 *   be in BullMQ. Every transition that puts a job at a new step (createJob, completeStep,
 *   restartJob) clears it in its own transaction; markEnqueued (after a BullMQ add), startStep
 *   (a worker got the step) and the outbox flush (drainOutbox) set it.
 * - `cancel_requested` is raised only on a queued or running job (requestCancel), makes startStep
 *   refuse, is read by a running step at its entry boundaries, and is cleared only by a replay.
 * - `not_before` is the debounce: the first step does not start before it (the runner delays
 *   its BullMQ job). Set by createJob and postponeStart, cleared by a replay. A step that is not
 *   ready does not use it: its BullMQ job is delayed, and deferStep records why.
 * - `error_*` describe the last failure (or the login wait) of the current run; startStep and
 *   restartJob clear them.
 * - `archive_status` is what the archive's status AVUs show for the current run, recorded only
 *   after iRODS took the write, with the transition that made it where there is one (failStep,
 *   cancelAtStep, completeStep for finalize's `expanded`); a replay clears it. A finished job
 *   whose `archive_status` is not its final state is pending: written again until it holds.
 * - `job_steps` (one row per job, run and step) and `job_step_attempts` (one per attempt) are
 *   written in the transaction of the job transition they belong to, never alone.
 * - `state_xid` and `state_changed_at` are set by the trigger `jobs_track_state_change`
 *   (migration 0002) whenever `state` or `run` changes, inside the changing transaction: the
 *   archives feed (GET /v1/archives) is ordered by them and must not miss a change by any writer,
 *   including a repair by hand, so that rule stays in the database. republishInFeed sets them
 *   without a transition, for news about a job that is not a change of its state (a broken
 *   registration, or a registration on demand of the job's tree that ended).
 * - `kind` (migration 0009): `landing` jobs are the archives' own; an `omero_register` job (its
 *   `source_job_id` a landing job, its `omero_request` set) runs the omero step alone and never
 *   writes `archive_status`. Questions about "the job of an archive" concern landing jobs.
 */
export type { RecordedFailure, StepPointer } from './guards.js';
export { completeStep, deferStep, failStep, retryStep, startStep, waitForLogin } from './step-attempts.js';
export type { Advanced, FailureRecorded, StartedStep, StepSuccess } from './step-attempts.js';
export { cancelAtStep, requestCancel, type CancelRequest } from './cancellation.js';
export { restartJob, type Restarted } from './replay.js';
export { countOutbox, drainOutbox, markEnqueued } from './outbox.js';
export { failLostStep, quietScheduledJobs } from './lost-steps.js';
export { pendingArchiveStatuses, recordArchiveStatus, recordFinalArchiveStatus, type PendingArchiveStatus } from './archive-status.js';
export { createJob, postponeStart } from './job-creation.js';
export { createRegisterJob, type RegisterRefusal } from './register-job.js';
export { recordDetail, recordFlags, recordProgress, recordTarget } from './step-output.js';
export { republishInFeed } from './feed.js';
export { requestUnregister, type UnregisterRequest } from './unregister-request.js';
