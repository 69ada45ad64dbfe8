import { Type, type Static } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { requestOmeroUnregister, UnregisterRefused, type UnregisterAnswer, type UnregisterDeps, type UnregisterTarget } from '../../pipeline/unregister/request.js';
import { HttpError } from '../http-errors.js';
import type { AdminTokens } from '../plugins/admin-auth.js';
import { actorOf, adminRoutes } from '../plugins/admin-routes.js';
import { adminSchema, ErrorReply } from './admin-views.js';

const SERVER = Type.Optional(
  Type.String({ minLength: 1, maxLength: 128, description: 'the OMERO server, by its name in the configuration (default: the default server)' }),
);

const UnregisterBody = Type.Object({ server: SERVER }, { additionalProperties: false });

const UnregisterByPathBody = Type.Object(
  {
    path: Type.String({ pattern: '^/', maxLength: 2700, description: 'the archive (…/run.zip) or the root collection of its expanded tree (…/run)' }),
    server: SERVER,
  },
  { additionalProperties: false },
);

const ArchiveIdParams = Type.Object({ id: Type.Integer({ minimum: 1, description: 'the archive id (`archive.id` in the feed and in jobs)' }) });

export const UnregisterReply = Type.Object({
  outcome: Type.Union([Type.Literal('queued'), Type.Literal('already_unregistered')], {
    description: 'queued: a run of the archive\'s job removes the registration (follow it at Location); already_unregistered: nothing to do',
  }),
  job_id: Type.String({ format: 'uuid' }),
  run: Type.Integer(),
  server: Type.String(),
  archive_path: Type.String(),
  target_path: Type.String(),
  message: Type.String(),
});
export type UnregisterReplyBody = Static<typeof UnregisterReply>;

const REFUSAL_STATUS: Record<string, number> = { not_found: 404, unknown_server: 400, irods_unavailable: 503 };

function asHttpError(err: FastifyError): FastifyError {
  if (err instanceof UnregisterRefused) return new HttpError(REFUSAL_STATUS[err.code] ?? 409, err.code, err.message);
  return err;
}

function answer(reply: FastifyReply, a: UnregisterAnswer): FastifyReply {
  const body: UnregisterReplyBody = {
    outcome: a.outcome,
    job_id: a.jobId,
    run: a.run,
    server: a.server,
    archive_path: a.archivePath,
    target_path: a.targetPath,
    message: a.message,
  };
  return reply
    .code(a.outcome === 'queued' ? 202 : 200)
    .header('location', `/v1/jobs/${a.jobId}`)
    .send(body);
}

const DESCRIPTION =
  'Removes the archive\'s registration in one OMERO server: its Images (and the Projects, Datasets, Screens and Plates it made that are then empty) ' +
  'through the OMERO CLI, then the registration AVUs on the expanded tree, so the data may be moved. Runs as a new run of the archive\'s job ' +
  '(step `unregister`: retried, replayable, audited with who asked). 404 unknown archive or path; 400 unknown server; 409 not registered there, ' +
  'job queued or running, OMERO switched off; 503 iRODS unreachable. 200 `already_unregistered` when this job already did it.';

/** `omero unregister` over HTTP (operator): by archive id, or by path (what the CLI sends). */
export function omeroRegistrationRoutes(deps: UnregisterDeps & { readonly tokens: AdminTokens }) {
  return adminRoutes(deps.tokens, (r, { operator, emptyBodyIsObject }) => {
    const responses = { 200: UnregisterReply, 202: UnregisterReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };
    const run = (request: FastifyRequest, target: UnregisterTarget, server: string | undefined) =>
      requestOmeroUnregister(deps, target, { server, actor: actorOf(request) });

    r.post(
      '/v1/archives/:id/omero/unregister',
      {
        preValidation: emptyBodyIsObject,
        preHandler: operator,
        schema: adminSchema('archives', 'Unregister an archive from OMERO (operator)', { description: DESCRIPTION, params: ArchiveIdParams, body: UnregisterBody, response: responses }),
      },
      async (request, reply) => answer(reply, await run(request, { archiveId: request.params.id }, request.body.server)),
    );

    r.post(
      '/v1/archives/omero/unregister',
      {
        preHandler: operator,
        schema: adminSchema('archives', 'Unregister an archive from OMERO, named by its path or its tree\'s (operator)', {
          description: DESCRIPTION,
          body: UnregisterByPathBody,
          response: responses,
        }),
      },
      async (request, reply) => answer(reply, await run(request, { path: request.body.path.replace(/\/+$/, '') || '/' }, request.body.server)),
    );
  }, asHttpError);
}
