import { isCanaryPath } from './canary.js';

export type WatchVerdict = { watched: true } | { watched: false; reason: string };

/**
 * Whether an event's data object is an archive in a watched collection. Prefixes match on
 * collection boundaries (/zone/home/lab does not match /zone/home/lab2/x.zip). The agent's own
 * writes (it expands into iRODS, and attachments may be .zip files) are never archives to expand.
 * `user` is the uploader as uploaderOf() names them, so a federated user who shares the agent's
 * account name (`rods#partnerZone`) is not taken for the agent.
 */
export function classifyPath(
  logicalPath: string,
  user: string,
  options: { prefixes: readonly string[]; archiveSuffixes: readonly string[]; agentUser: string },
): WatchVerdict {
  if (isCanaryPath(logicalPath)) return { watched: false, reason: 'the doctor\'s canary (irods-omero-agent doctor): recorded, nothing else' };
  if (user === options.agentUser) {
    return { watched: false, reason: `written by the agent's own account (${options.agentUser})` };
  }
  const inWatched = options.prefixes.some((p) => logicalPath.startsWith(`${p}/`));
  if (!inWatched) return { watched: false, reason: 'not in a watched collection' };
  const name = logicalPath.slice(logicalPath.lastIndexOf('/') + 1).toLowerCase();
  if (!options.archiveSuffixes.some((s) => name.endsWith(s) && name.length > s.length)) {
    return { watched: false, reason: `not an archive (${options.archiveSuffixes.join(', ')})` };
  }
  return { watched: true };
}
