import type { Config } from '../config/index.js';
import { IrodsError } from '../irods/errors.js';
import { createIrodsClientFromConfig } from './irods-from-config.js';
import { createLogger } from '../logging/logger.js';
import {
  checkUserMapAgainstIrods,
  loadUserMap,
  UserMapError,
  type UserMap,
  type UserMapCheckResult,
  type UserMapIssue,
} from '../users/index.js';

/** What `config check` reports about AGENT_USER_MAP. */
export type UserMapReport =
  | { readonly state: 'unset' }
  | { readonly state: 'invalid'; readonly path: string; readonly message: string; readonly issues: readonly UserMapIssue[] }
  | {
      readonly state: 'valid';
      readonly path: string;
      readonly digest: string;
      /** The names looked up in iRODS, or why they were not. */
      readonly irods: { readonly checked: true; readonly result: UserMapCheckResult } | { readonly checked: false; readonly reason: string };
    };

/**
 * Loads the mapping file (as the agent would at start) and, when the agent's iRODS account is
 * configured, looks up every user and group it names. Only an invalid file is an error: an
 * unreachable iRODS or an unknown name is reported, because the file itself is usable and the
 * agent would start with it (a job granting to an unknown name fails then, naming it).
 */
export async function checkUserMap(config: Config): Promise<UserMapReport> {
  const path = config.userMapPath;
  if (path === undefined || path === '') return { state: 'unset' };
  let map: UserMap;
  try {
    map = await loadUserMap(path);
  } catch (err) {
    if (err instanceof UserMapError) return { state: 'invalid', path, message: err.message, issues: err.issues };
    throw err;
  }
  const valid = { state: 'valid' as const, path, digest: map.digest };
  if (config.irods.password === undefined || config.irods.password === '') {
    return { ...valid, irods: { checked: false, reason: 'IRODS_PASSWORD is not set' } };
  }
  // Silent: the client's logs would mix into the command's output (and break --json).
  const irods = createIrodsClientFromConfig(config, createLogger({ level: 'silent' }));
  try {
    try {
      await irods.authenticate();
    } catch (err) {
      const why =
        err instanceof IrodsError && err.status === 0
          ? `iRODS is unreachable at ${config.irods.baseUrl} (IRODS_HTTP_API_URL)`
          : `iRODS refused the agent account at ${config.irods.baseUrl} (IRODS_USERNAME, IRODS_PASSWORD)`;
      return { ...valid, irods: { checked: false, reason: `${why}: ${(err as Error).message}` } };
    }
    const result = await checkUserMapAgainstIrods(map, (name, zone) => irods.users.stat(name, zone === undefined ? undefined : { zone }));
    return { ...valid, irods: { checked: true, result } };
  } finally {
    await irods.close().catch(() => undefined);
  }
}

/** The report as lines for a person (stderr of `config check`). */
export function describeUserMapReport(report: UserMapReport): { lines: string[]; warnings: string[] } {
  if (report.state === 'unset') {
    return { lines: ['user mapping: none (AGENT_USER_MAP is not set): only uploaders get access to expanded archives'], warnings: [] };
  }
  if (report.state === 'invalid') {
    return { lines: [`user mapping is invalid: ${report.path}`, ...report.issues.map((i) => `  ${i.where ? `${i.where}: ` : ''}${i.message}`)], warnings: [] };
  }
  const lines = [`user mapping: ${report.path} is valid (${report.digest})`];
  if (!report.irods.checked) {
    return { lines, warnings: [`user mapping: its names were not checked against iRODS: ${report.irods.reason}`] };
  }
  const { result } = report.irods;
  if (result.ok) {
    lines.push(`user mapping: the ${result.checked} iRODS users and groups it names all exist`);
    return { lines, warnings: [] };
  }
  return { lines, warnings: result.problems.map((p) => `user mapping: ${p.message} (${p.where.join(', ')})`) };
}
