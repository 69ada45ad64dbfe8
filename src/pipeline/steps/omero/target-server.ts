import { defaultOmeroServer, omeroServerNamed, type OmeroServer } from '../../../config/index.js';
import type { StepContext } from '../../step-context.js';
import { StepFailure } from '../../step-errors.js';

/**
 * The server this job registers in: the default one for a landing job; for a registration on
 * demand, the server its request names, with the mode and group it asked for. A server the
 * configuration no longer names (the servers file changed since) is refused, not guessed.
 */
export function targetServer(ctx: StepContext): OmeroServer {
  const request = ctx.job.omero_request;
  if (!request) return defaultOmeroServer(ctx.config);
  const server = omeroServerNamed(ctx.config, request.server);
  if (!server) {
    throw new StepFailure(
      'omero_unknown_server',
      `This registration asked for the OMERO server '${request.server}', which the agent's configuration no longer names (OMERO_SERVERS_FILE): add it back and replay, or ask again for another server.`,
    );
  }
  const mode = request.mode ?? server.mode;
  if (mode === 'ln_s' && server.irodsMount === undefined) {
    throw new StepFailure('omero_not_mounted', `The OMERO server '${server.name}' has no mount, which an in-place (ln_s) registration needs; nothing was registered.`);
  }
  return { ...server, mode, group: request.group ?? server.group };
}
