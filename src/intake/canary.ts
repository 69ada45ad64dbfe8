/**
 * The sub-collection of a watched collection where `irods-omero-agent doctor` drops its canary
 * archive: the rule reports it like any upload (that is what the doctor wants to see arrive),
 * and the agent records the event and does nothing else with it: no job, no sweep.
 */
export const CANARY_COLLECTION = '.irods-omero-agent-canary';

export function isCanaryPath(logicalPath: string): boolean {
  return logicalPath.split('/').includes(CANARY_COLLECTION);
}
