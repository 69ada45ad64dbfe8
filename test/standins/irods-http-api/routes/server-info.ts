import { IRODS_ERRORS } from '../errors.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeBasicCredentials, resolveIdentity } from '../auth.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { API_VERSION, SERVER_HEADER, irodsResponse, sendIrods, sendJson, sendOk, sendStatus } from '../http/reply.js';
import { isAdmin } from '../permissions.js';
import type { Zone } from '../zone.js';

/**
 * POST /authenticate (endpoints/authentication/src/main.cpp): Basic credentials → a plain-text
 * bearer token. No Authorization header, or a scheme other than Basic, is 400; an empty username
 * or password, or wrong credentials, is 401; any other method is 405. The anonymous user with an
 * empty password always gets a token (it fails later if the zone has no such user).
 */
export function authenticateRoute(zone: Zone, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (request.method !== 'POST') return sendStatus(reply, 405);
  const header = request.headers.authorization;
  if (header === undefined) return sendStatus(reply, 400);
  const at = header.indexOf('Basic ');
  if (at < 0) return sendStatus(reply, 400);
  const { username, password } = decodeBasicCredentials(header.slice(at + 6));
  const issue = (): FastifyReply =>
    reply.code(200).header('server', SERVER_HEADER).header('content-type', 'text/plain').send(zone.tokens.issue(username));
  if (username === 'anonymous' && password === '') return issue();
  if (username === '' || password === '') return sendStatus(reply, 401);
  const user = zone.catalog.principals.findUser(username);
  if (!user || user.password === undefined || user.password !== password) return sendStatus(reply, 401);
  return issue();
}

/** GET /info (endpoints/information/src/main.cpp): no authentication needed; the server version only with a valid token. */
export function infoRoute(zone: Zone, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (request.method !== 'GET') return sendStatus(reply, 405);
  const info: Record<string, unknown> = {
    api_version: API_VERSION,
    build: 'irods-omero-agent-standin',
    irods_zone: zone.catalog.zone,
    max_number_of_streams_per_parallel_write_handle: zone.settings.maxStreamsPerHandle,
    max_number_of_rows_per_catalog_query: zone.settings.maxRowsPerQuery,
    max_size_of_request_body_in_bytes: zone.settings.maxBodyBytes,
    openid_connect_enabled: false,
  };
  if ('user' in resolveIdentity(request.headers.authorization, zone.tokens, zone.catalog.principals)) {
    info.irods_server_version = zone.settings.irodsVersion;
  }
  return sendJson(reply, info);
}

/** /zones: stat and report only (endpoints/zones/src/main.cpp); add/remove/modify are not reproduced. */
export const zonesGet: OperationTable = {
  stat: authenticated(({ zone, reply, args }) => {
    const name = args.text('name');
    if (name === undefined) return sendStatus(reply, 400);
    if (name !== zone.catalog.zone) return sendOk(reply, { exists: false, info: {} });
    return sendOk(reply, {
      exists: true,
      info: { id: zone.catalog.zoneId, name, connection_info: '', comment: '', type: 'local' },
    });
  }),

  // rcZoneReport is a rodsadmin API; anyone else gets its error with upstream's message.
  report: authenticated(({ zone, reply }, user) => {
    if (!isAdmin(user)) return sendIrods(reply, irodsResponse(IRODS_ERRORS.SYS_NO_API_PRIV, 'Could not generate zone report.'));
    return sendOk(reply, {
      zone_report: {
        schema_version: 'v2',
        zones: [
          {
            servers: [],
            icat_server: {
              host_system_information: {},
              server_config: { zone_name: zone.catalog.zone, default_resource_name: zone.settings.resource },
              version: { irods_version: zone.settings.irodsVersion },
              resources: [...zone.catalog.resources.all()].map((r) => ({ name: r.name, type: r.type, host: r.host, vault_path: r.vaultPath })),
            },
            coordinating_resources: [],
          },
        ],
      },
    });
  }),
};

/** Remote-zone administration: refused for non-admins as upstream does; not reproduced for admins. */
const zoneAdministration = authenticated(({ reply }, user) =>
  sendIrods(
    reply,
    isAdmin(user)
      ? irodsResponse(IRODS_ERRORS.SYS_INVALID_INPUT_PARAM, 'remote zones are not supported by the irods-omero-agent stand-in')
      : irodsResponse(IRODS_ERRORS.SYS_NO_API_PRIV),
  ),
);

export const zonesPost: OperationTable = { add: zoneAdministration, remove: zoneAdministration, modify: zoneAdministration };
