import type { Config } from '../config/index.js';
import { IrodsError } from '../irods/errors.js';
import { createIrodsClientFromConfig } from './irods-from-config.js';
import { createLogger } from '../logging/logger.js';

/** What `config check` reports about AGENT_TARGET_RESOURCE. */
export type TargetResourceReport =
  | { readonly state: 'unset' }
  | { readonly state: 'exists'; readonly name: string; readonly type: string }
  | { readonly state: 'missing' | 'not_a_root'; readonly name: string; readonly message: string }
  | { readonly state: 'unchecked'; readonly name: string; readonly reason: string };

/**
 * Looks AGENT_TARGET_RESOURCE up in iRODS: writes naming a resource that does not exist, or a
 * child of a hierarchy (DIRECT_CHILD_ACCESS), fail every expansion, so either makes the
 * configuration invalid; an unreachable iRODS leaves it unchecked.
 */
export async function checkTargetResource(config: Config): Promise<TargetResourceReport> {
  const name = config.irods.targetResource;
  if (name === undefined) return { state: 'unset' };
  if (config.irods.password === undefined || config.irods.password === '') return { state: 'unchecked', name, reason: 'IRODS_PASSWORD is not set' };
  // Silent: the client's logs would mix into the command's output (and break --json).
  const irods = createIrodsClientFromConfig(config, createLogger({ level: 'silent' }));
  try {
    const resource = await irods.resources.stat(name);
    if (!resource) return { state: 'missing', name, message: `AGENT_TARGET_RESOURCE: iRODS has no resource '${name}'` };
    if (resource.parentId !== '') {
      return { state: 'not_a_root', name, message: `AGENT_TARGET_RESOURCE: '${name}' is a child in a resource hierarchy; name its root resource (iRODS refuses writes to a child)` };
    }
    return { state: 'exists', name, type: resource.type };
  } catch (err) {
    const why = err instanceof IrodsError && err.status === 0 ? 'iRODS is unreachable' : 'iRODS refused the lookup';
    return { state: 'unchecked', name, reason: `${why} at ${config.irods.baseUrl} (${(err as Error).message})` };
  } finally {
    await irods.close().catch(() => undefined);
  }
}

/** The report as a line for a person, and whether it makes the configuration invalid. */
export function describeTargetResource(report: TargetResourceReport): { line: string; invalid: boolean; warning?: string } {
  switch (report.state) {
    case 'unset':
      return { line: "target resource: none (AGENT_TARGET_RESOURCE is not set): expanded files go to the server's default resource", invalid: false };
    case 'exists':
      return { line: `target resource: ${report.name} exists (${report.type}): expanded files are written there`, invalid: false };
    case 'unchecked':
      return { line: `target resource: ${report.name}, not checked`, invalid: false, warning: `AGENT_TARGET_RESOURCE was not checked against iRODS: ${report.reason}` };
    default:
      return { line: report.message, invalid: true };
  }
}
