import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { defaultUserMap } from '../../users/index.js';
import type { StepRegistry } from '../step-context.js';
import { expandStep } from './expand.js';
import { finalize } from './finalize.js';
import { inspect } from './inspect.js';
import { metadataStep } from './metadata.js';
import { omeroStep } from './omero.js';
import { permissionsStep } from './permissions.js';
import { unregisterStep } from './unregister.js';
import type { RegistrationRecords } from '../unregister/registration-records.js';
import { fixedUserMapSource, type UserMapSource } from './user-map-source.js';

export { openUserMapSource, fixedUserMapSource, type OpenedUserMapSource, type UserMapSource } from './user-map-source.js';

export interface StepHandlerDeps {
  /** The user mapping the permissions step plans with; the built-in defaults (nobody mapped) when absent. */
  readonly userMap?: UserMapSource | undefined;
  /** What `omero unregister` clears in PostgreSQL; without it this process has no unregister step. */
  readonly registrationRecords?: RegistrationRecords | undefined;
}

/**
 * The handlers of this agent's steps. A step without a handler is not run (nextStep skips it);
 * the omero step also needs OMERO_ENABLED.
 */
export function createStepHandlers(_config: Config, _log: Logger, deps: StepHandlerDeps = {}): StepRegistry {
  return {
    inspect,
    expand: expandStep(),
    permissions: permissionsStep({ userMap: deps.userMap ?? fixedUserMapSource(defaultUserMap()) }),
    metadata: metadataStep(),
    // Registered always; run-step runs it only with OMERO_ENABLED.
    omero: omeroStep(),
    finalize,
    ...(deps.registrationRecords ? { unregister: unregisterStep(deps.registrationRecords) } : {}),
  };
}
