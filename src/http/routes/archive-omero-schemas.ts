import { Type, type Static } from '@fastify/type-provider-typebox';
import { OMERO_SERVER_NAME } from '../../config/index.js';

/**
 * POST /v1/archives/{id}/omero: what it takes and answers. TypeBox, so one declaration validates
 * the request, documents it in OpenAPI and types the handler and the admin client.
 */

export const ArchiveRefParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 2700,
    pattern: '^(\\d{1,18}|/.+)$',
    description: 'the archive: its id (archive.id in the feed and in jobs), or its logical path, URL-encoded (%2FtempZone%2F…): the newest version there',
  }),
});

export const RegisterBody = Type.Object(
  {
    server: Type.Optional(Type.String({ pattern: OMERO_SERVER_NAME.source, description: 'the OMERO server, by its name in the configuration (default: the default server)' })),
    mode: Type.Optional(Type.Union([Type.Literal('ln_s'), Type.Literal('upload')], { description: "in place or as a copy (default: the server's mode)" })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]', description: "the OMERO group to register into (default: the server's group)" })),
  },
  { additionalProperties: false },
);

export const RegisterReply = Type.Object({
  job_id: Type.String({ format: 'uuid', description: 'the registration job: GET /v1/jobs/{job_id}, replayable like any other' }),
  source_job_id: Type.String({ format: 'uuid', description: 'the job that expanded the archive' }),
  archive_id: Type.Integer(),
  archive_path: Type.String(),
  target_path: Type.String({ description: 'the expanded collection that is registered' }),
  server: Type.String({ description: "the server's name" }),
  address: Type.String({ description: 'its host:port' }),
  mode: Type.Union([Type.Literal('ln_s'), Type.Literal('upload')]),
  group: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
});

export type RegisterRequestBody = Static<typeof RegisterBody>;
export type RegisterReply = Static<typeof RegisterReply>;
