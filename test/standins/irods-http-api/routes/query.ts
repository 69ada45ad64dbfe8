import { IRODS_ERRORS, IrodsFailure } from '../errors.js';
import { QueryCache } from '../genquery/cache.js';
import { runGenQuery } from '../genquery/execute.js';
import { parseLeadingInteger } from '../http/args.js';
import { authenticated, type OperationTable } from '../http/dispatch.js';
import { irodsResponse, sendIrods, sendOk, sendStatus } from '../http/reply.js';

/**
 * /query (irods_client_http_api endpoints/query/src/main.cpp). execute_genquery with the
 * GenQuery1 parser: offset (default 0, negatives become 0) and count (default and maximum
 * max_number_of_rows_per_catalog_query, clamped to [1, max]); case-sensitive=0 upper-cases the
 * whole query; distinct=0 keeps duplicates. GenQuery2 and specific queries are not reproduced:
 * they answer 400 with SYS_INVALID_INPUT_PARAM so a client notices at once.
 */
export function queryOperations(): { get: OperationTable; post: OperationTable } {
  const cache = new QueryCache();

  const executeGenquery = authenticated(({ zone, reply, args }, user) => {
    const query = args.text('query');
    if (query === undefined) return sendStatus(reply, 400);
    const parser = args.text('parser') ?? 'genquery1';
    if (parser !== 'genquery1' && parser !== 'genquery2') return sendStatus(reply, 400);
    if (parser === 'genquery2') {
      return sendIrods(reply, irodsResponse(IRODS_ERRORS.SYS_INVALID_INPUT_PARAM, 'GenQuery2 is not supported by the irods-omero-agent stand-in'), {}, 400);
    }
    let offset = 0;
    if (args.has('offset')) {
      const parsed = parseLeadingInteger(args.text('offset'));
      if (parsed === undefined) return sendStatus(reply, 400);
      offset = Math.max(0, parsed);
    }
    const max = zone.settings.maxRowsPerQuery;
    let count = max;
    if (args.has('count')) {
      const parsed = parseLeadingInteger(args.text('count'));
      if (parsed === undefined) return sendStatus(reply, 400);
      count = Math.min(Math.max(parsed, 1), max);
    }
    let caseSensitive = true;
    const caseArg = args.text('case-sensitive');
    if (caseArg !== undefined) {
      if (caseArg !== '0' && caseArg !== '1') return sendStatus(reply, 400);
      caseSensitive = caseArg === '1';
    }
    let distinct = true;
    const distinctArg = args.text('distinct');
    if (distinctArg !== undefined) {
      if (distinctArg !== '0' && distinctArg !== '1') return sendStatus(reply, 400);
      distinct = distinctArg === '1';
    }
    const text = caseSensitive ? query : query.toUpperCase();
    const zoneArg = args.text('zone');
    if (zoneArg !== undefined && zoneArg !== zone.catalog.zone) {
      return sendIrods(reply, irodsResponse(IRODS_ERRORS.CAT_INVALID_ZONE, `unknown zone [${zoneArg}]`));
    }
    const key = `${user.id}\u0000${zone.catalog.generation}\u0000${String(distinct)}\u0000${text}`;
    let rows = cache.get(key);
    if (!rows) {
      try {
        rows = runGenQuery(zone.catalog, user, text, { caseSensitive, distinct, irodsMajor: Number(zone.settings.irodsVersion.split('.')[0]) });
      } catch (err) {
        if (err instanceof IrodsFailure) return sendIrods(reply, irodsResponse(err.code, err.message));
        throw err;
      }
      cache.set(key, rows);
    }
    return sendOk(reply, { rows: rows.slice(offset, offset + count) });
  });

  const notReproduced = authenticated(({ reply }) => sendIrods(reply, irodsResponse(IRODS_ERRORS.SYS_INVALID_INPUT_PARAM, 'specific queries are not supported by the irods-omero-agent stand-in'), {}, 400));

  return {
    get: { execute_genquery: executeGenquery, execute_specific_query: notReproduced },
    post: { add_specific_query: notReproduced, remove_specific_query: notReproduced },
  };
}
