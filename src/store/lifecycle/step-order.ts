/**
 * The steps of a job, in the order the lifecycle advances it through them (completeStep). Each
 * is its own BullMQ queue and job (own retries, backoff, concurrency). Permissions run before
 * metadata so people get access even if metadata fails. `unregister` is never advanced into
 * (nextStep): a run starts there only when an operator asks for it (`omero unregister`,
 * lifecycle requestUnregister), and ends there.
 */
export const STEP_ORDER = ['inspect', 'expand', 'permissions', 'metadata', 'omero', 'finalize', 'unregister'] as const;
export type StepName = (typeof STEP_ORDER)[number];

export const FIRST_STEP: StepName = 'inspect';

export function isStepName(value: string): value is StepName {
  return (STEP_ORDER as readonly string[]).includes(value);
}

/** Steps a run only starts at (an operator's request), never advanced into. */
const ON_REQUEST_ONLY: readonly StepName[] = ['unregister'];

/** The step after `step`, skipping those that are switched off or only run on request; undefined after the last. */
export function nextStep(step: StepName, enabled: (s: StepName) => boolean): StepName | undefined {
  const i = STEP_ORDER.indexOf(step);
  return STEP_ORDER.slice(i + 1).find((s) => !ON_REQUEST_ONLY.includes(s) && enabled(s));
}
