import type { FastifyError } from 'fastify';
import { RegisterRefused, registerOnDemand, type RegisterDeps } from '../../pipeline/register-on-demand.js';
import { HttpError } from '../http-errors.js';
import type { AdminTokens } from '../plugins/admin-auth.js';
import { actorOf, adminRoutes } from '../plugins/admin-routes.js';
import { adminSchema, ErrorReply } from './admin-views.js';
import { ArchiveRefParams, RegisterBody, RegisterReply } from './archive-omero-schemas.js';

const REFUSAL_STATUS: Record<string, number> = { not_found: 404, unknown_server: 400, not_mounted: 400 };

/** Refusals as the HTTP answers they are: 404 unknown archive, 400 for the request itself, 409 for the archive's or the agent's state. */
function asHttpError(err: FastifyError): FastifyError {
  if (err instanceof RegisterRefused) return new HttpError(REFUSAL_STATUS[err.code] ?? 409, err.code, err.message);
  return err;
}

/** POST /v1/archives/{id}/omero (operator): register an expanded archive in an OMERO server now. */
export function archiveOmeroRoutes(deps: RegisterDeps & { readonly tokens: AdminTokens }) {
  return adminRoutes(deps.tokens, (r, { operator, emptyBodyIsObject }) => {
    r.post(
      '/v1/archives/:id/omero',
      {
        preHandler: operator,
        // No body (curl -X POST …/omero) means the default server, its mode and group.
        preValidation: emptyBodyIsObject,
        schema: adminSchema('archives', 'Register an archive that expanded earlier in an OMERO server (use case F): a job that runs the omero step alone', {
          description:
            'Refused with 404 (unknown archive), 400 (unknown server, ln_s on a server without a mount), 409 (not expanded, a newer version exists, already registered in that server: unregister first, a registration there under way, OMERO disabled).',
          params: ArchiveRefParams,
          body: RegisterBody,
          response: { 202: RegisterReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
        }),
      },
      async (request, reply) => {
        const b = request.body;
        const started = await registerOnDemand(deps, request.params.id, { server: b.server, mode: b.mode, group: b.group, actor: actorOf(request) });
        const { job, server } = started;
        return reply
          .code(202)
          .header('location', `/v1/jobs/${job.id}`)
          .send({
            job_id: job.id,
            source_job_id: started.sourceJobId,
            archive_id: started.archive.id,
            archive_path: started.archive.logical_path,
            target_path: job.target_path ?? '',
            server: server.name,
            address: `${server.host}:${server.port}`,
            mode: b.mode ?? server.mode,
            group: b.group ?? server.group ?? null,
            state: job.state,
          });
      },
    );
  }, asHttpError);
}
