/**
 * The steps of a job, in the order the lifecycle advances it through them (completeStep). Each
 * is its own BullMQ queue and job (own retries, backoff, concurrency). Permissions run before
 * metadata so people get access even if metadata fails. `unregister` is never advanced into
 * (run-step's stepEnabled): a run starts there only when an operator asks for it
 * (`omero unregister`, lifecycle requestUnregister), and ends there.
 */
export const STEP_ORDER = ['inspect', 'expand', 'permissions', 'metadata', 'omero', 'finalize', 'unregister'] as const;
export type StepName = (typeof STEP_ORDER)[number];

export const FIRST_STEP: StepName = 'inspect';

export function isStepName(value: string): value is StepName {
  return (STEP_ORDER as readonly string[]).includes(value);
}

/** The step after `step`, skipping those that are switched off; undefined after the last. */
export function nextStep(step: StepName, enabled: (s: StepName) => boolean): StepName | undefined {
  const i = STEP_ORDER.indexOf(step);
  return STEP_ORDER.slice(i + 1).find(enabled);
}
