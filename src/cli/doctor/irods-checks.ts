import type { Config } from '../../config/index.js';
import { IrodsError } from '../../irods/errors.js';
import type { IrodsClient } from '../../irods/types.js';
import { checkTargetResource } from '../target-resource-check.js';
import { checkUserMap } from '../user-map-check.js';
import { irodsAddress, ServiceUnreachable } from '../service-unreachable.js';
import { fail, ok, skip, warn, type CheckResult } from './checklist.js';
import { formatBytes } from '../../archive/format-bytes.js';

/** What the later checks (the canary) need to know about iRODS. */
export interface IrodsFindings {
  readonly loggedIn: boolean;
  readonly rodsadmin: boolean;
  /** The AGENT_WATCH collections that exist. */
  readonly watchedCollections: readonly string[];
}

const NOTHING: IrodsFindings = { loggedIn: false, rodsadmin: false, watchedCollections: [] };

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The API answers /info; its version and zone match the configuration; its limits fit the agent's. */
async function checkApi(config: Config, irods: IrodsClient): Promise<{ results: CheckResult[]; reachable: boolean }> {
  const title = 'iRODS HTTP API reachable';
  let info: Awaited<ReturnType<IrodsClient['info']>>;
  try {
    info = await irods.info();
  } catch (err) {
    const detail =
      err instanceof IrodsError && err.status === 404
        ? `nothing answers /info under ${config.irods.baseUrl} (HTTP 404): the version in the URL must be the API's own`
        : new ServiceUnreachable(irodsAddress(config.irods.baseUrl), `does not answer: ${(err as Error).message}`).message;
    return { results: [fail('irods.api', title, detail, 'start the iRODS HTTP API, or fix IRODS_HTTP_API_URL (e.g. http://host:9000/irods-http-api/0.7.0)')], reachable: false };
  }
  const results: CheckResult[] = [ok('irods.api', title, `API ${info.apiVersion || '?'} at ${config.irods.baseUrl}, zone ${info.irodsZone ?? '?'}`)];
  if (info.irodsZone !== undefined && info.irodsZone !== config.irods.zone) {
    results.push(fail('irods.zone', 'iRODS zone as configured', `the API serves zone ${info.irodsZone}, IRODS_ZONE is ${config.irods.zone}`, `set IRODS_ZONE=${info.irodsZone}`));
  }
  const maxBody = num(info.max_size_of_request_body_in_bytes);
  const maxStreams = num(info.max_number_of_streams_per_parallel_write_handle);
  const limitsTitle = "the API's limits fit the agent's writes";
  const tooBig: string[] = [];
  if (maxBody !== undefined && config.irods.maxBodyBytes > maxBody) tooBig.push(`IRODS_MAX_BODY_BYTES ${formatBytes(config.irods.maxBodyBytes)} > the API's ${formatBytes(maxBody)}`);
  if (maxStreams !== undefined && config.irods.parallelWriteStreams > maxStreams) tooBig.push(`IRODS_PARALLEL_WRITE_STREAMS ${config.irods.parallelWriteStreams} > the API's ${maxStreams}`);
  const found = `body ≤ ${maxBody === undefined ? '?' : formatBytes(maxBody)}, ${maxStreams ?? '?'} streams per parallel write`;
  results.push(
    tooBig.length
      ? warn(
          'irods.limits',
          limitsTitle,
          `${found}; ${tooBig.join('; ')} (the agent uses the smaller value)`,
          'lower IRODS_MAX_BODY_BYTES / IRODS_PARALLEL_WRITE_STREAMS to the API\'s limits, or raise max_size_of_request_body_in_bytes / max_number_of_streams_per_parallel_write_handle in the API\'s config.json',
        )
      : ok('irods.limits', limitsTitle, found),
  );
  return { results, reachable: true };
}

/** The service account logs in and is a rodsadmin (a rodsuser cannot act on the users' archives). */
async function checkAccount(config: Config, irods: IrodsClient): Promise<{ results: CheckResult[]; loggedIn: boolean; rodsadmin: boolean }> {
  const user = config.irods.username;
  try {
    await irods.authenticate();
  } catch (err) {
    const refused = err instanceof IrodsError && (err.status === 401 || err.status === 400);
    return {
      results: [
        fail(
          'irods.login',
          `iRODS login as ${user}`,
          refused ? `the API refused the login of ${user} (HTTP ${err.status})` : (err as Error).message,
          'fix IRODS_USERNAME and IRODS_PASSWORD (or IRODS_PASSWORD_FILE): the service account and its iRODS password',
        ),
      ],
      loggedIn: false,
      rodsadmin: false,
    };
  }
  const results: CheckResult[] = [ok('irods.login', `iRODS login as ${user}`, 'token issued')];
  const stat = await irods.users.stat(user, { zone: config.irods.zone });
  const type = stat.type ?? 'unknown';
  if (type === 'rodsadmin') {
    results.push(ok('irods.rodsadmin', `${user} is a rodsadmin`, 'rodsadmin'));
    return { results, loggedIn: true, rodsadmin: true };
  }
  results.push(
    fail(
      'irods.rodsadmin',
      `${user} is a rodsadmin`,
      `${user} is a ${type}: it cannot read the users' archives, write beside them or set their ACLs`,
      `make it one (\`iadmin moduser ${user} type rodsadmin\`), or set IRODS_USERNAME to a rodsadmin account`,
    ),
  );
  return { results, loggedIn: true, rodsadmin: false };
}

/** Every AGENT_WATCH prefix is a collection: a typo there silently ignores every upload. */
async function checkWatched(config: Config, irods: IrodsClient): Promise<{ results: CheckResult[]; existing: string[] }> {
  if (!config.watch.prefixes.length) {
    return { results: [fail('irods.watch', 'watched collections exist', 'AGENT_WATCH is empty: every event is ignored', 'set AGENT_WATCH to the collections whose archives are expanded, as in the rule\'s "watch"')], existing: [] };
  }
  const results: CheckResult[] = [];
  const existing: string[] = [];
  for (const prefix of config.watch.prefixes) {
    try {
      await irods.collections.stat(prefix);
      existing.push(prefix);
      results.push(ok(`irods.watch:${prefix}`, `watched collection ${prefix}`, 'exists'));
    } catch (err) {
      if (!(err instanceof IrodsError) || err.retryable) throw err;
      results.push(
        fail(`irods.watch:${prefix}`, `watched collection ${prefix}`, `not a collection (${err.codeName ?? err.message})`, `create it (\`imkdir -p ${prefix}\`) or fix AGENT_WATCH`),
      );
    }
  }
  return { results, existing };
}

/** AGENT_TARGET_RESOURCE, when set, is a root resource iRODS has (writes to anything else fail every expansion). */
async function checkTarget(config: Config): Promise<CheckResult> {
  const title = 'target resource (AGENT_TARGET_RESOURCE)';
  const report = await checkTargetResource(config);
  switch (report.state) {
    case 'unset':
      return skip('irods.target_resource', title, "not set: expanded files go to the server's default resource");
    case 'exists':
      return ok('irods.target_resource', title, `${report.name} exists (${report.type})`);
    case 'unchecked':
      return warn('irods.target_resource', title, `${report.name} not checked: ${report.reason}`, 'fix the iRODS checks above');
    default:
      return fail('irods.target_resource', title, report.message, 'set AGENT_TARGET_RESOURCE to a root resource `ilsresc` lists, or unset it');
  }
}

/** The user mapping file loads, and every iRODS user and group it names exists. */
async function checkMapping(config: Config): Promise<CheckResult[]> {
  const title = 'user mapping (AGENT_USER_MAP)';
  const report = await checkUserMap(config);
  if (report.state === 'unset') return [skip('user_map', title, 'AGENT_USER_MAP is not set: only uploaders get access to expanded archives')];
  if (report.state === 'invalid') {
    const first = report.issues[0];
    return [fail('user_map', title, `${report.path} is invalid: ${first ? `${first.where ? `${first.where}: ` : ''}${first.message}` : report.message}`, `fix ${report.path} (docs/user-mapping.md); \`irods-omero-agent config check\` lists every problem`)];
  }
  if (!report.irods.checked) return [warn('user_map', title, `${report.path} is valid; its names were not looked up: ${report.irods.reason}`, 'fix the iRODS checks above')];
  const { result } = report.irods;
  if (result.ok) return [ok('user_map', title, `${report.path}: the ${result.checked} iRODS users and groups it names exist`)];
  const missing = result.problems.map((p) => p.message).join('; ');
  return [fail('user_map', title, `${report.path}: ${missing}`, `create them in iRODS (iadmin mkuser / mkgroup), or fix ${report.path}`)];
}

/** Everything the doctor checks in iRODS, in order; later checks are skipped when an earlier one makes them moot. */
export async function checkIrods(config: Config, irods: IrodsClient | undefined): Promise<{ results: CheckResult[]; findings: IrodsFindings }> {
  if (!irods) {
    return {
      results: [fail('irods.login', `iRODS login as ${config.irods.username}`, 'IRODS_PASSWORD is not set', 'set IRODS_PASSWORD or IRODS_PASSWORD_FILE to the service account\'s iRODS password')],
      findings: NOTHING,
    };
  }
  const api = await checkApi(config, irods);
  if (!api.reachable) return { results: api.results, findings: NOTHING };
  const account = await checkAccount(config, irods);
  const results = [...api.results, ...account.results];
  if (!account.loggedIn) return { results: [...results, skip('irods.watch', 'watched collections exist', 'needs the login')], findings: NOTHING };
  const watched = await checkWatched(config, irods);
  results.push(...watched.results, await checkTarget(config), ...(await checkMapping(config)));
  return { results, findings: { loggedIn: true, rodsadmin: account.rodsadmin, watchedCollections: watched.existing } };
}
