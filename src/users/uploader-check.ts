import { isNotFound } from '../irods/errors.js';
import type { AclEntry, IrodsClient } from '../irods/types.js';
import { parseUserName } from './irods-name.js';

/**
 * Whether the iRODS user an event names as the uploader really holds the archive in iRODS.
 *
 * The event's `user` is what the rule read from the connection, but anything that can make the
 * delay server sign a body can name anyone: the Python plugin runs rule expressions for any
 * authenticated user (docs/rules.md, "What an administrator must know"). So the agent grants the
 * uploader nothing on the strength of the event alone: the archive's ACL must show the user as
 * its owner or with write access, directly or through a group they belong to. Read access is not
 * proof (the `public` group can read), and every route by which an archive lands (put, register,
 * copy, move) leaves its uploader with own or write.
 */
export type UploaderCheck =
  | { readonly verified: true; readonly via: string }
  | { readonly verified: false; readonly reason: string };

/** Permissions that say "this user could have written the archive" (iRODS 4.3+ names and 4.2's). */
const WRITE_OR_OWN = new Set(['own', 'delete_object', 'modify_object', 'create_object', 'write']);

/** Groups whose membership proves nothing about one user. */
const EVERYONE_GROUPS = new Set(['public']);

export async function checkUploader(irods: IrodsClient, archive: string, uploader: string, localZone: string): Promise<UploaderCheck> {
  const parsed = parseUserName(uploader);
  if (!parsed) return { verified: false, reason: `'${uploader}' is not an iRODS user name` };
  const zone = parsed.zone ?? localZone;

  let permissions: readonly AclEntry[];
  try {
    permissions = (await irods.dataObjects.stat(archive)).permissions;
  } catch (err) {
    if (isNotFound(err)) return { verified: false, reason: `the archive ${archive} is no longer in iRODS, so its uploader cannot be confirmed` };
    throw err;
  }
  const writers = permissions.filter((p) => WRITE_OR_OWN.has(p.perm));
  const direct = writers.find((p) => p.type !== 'rodsgroup' && p.name === parsed.name && (p.zone || localZone) === zone);
  if (direct) return { verified: true, via: `${direct.perm} on the archive` };

  for (const group of writers.filter((p) => p.type === 'rodsgroup' && !EVERYONE_GROUPS.has(p.name))) {
    if (await irods.users.isMemberOfGroup(group.name, parsed.name, { zone })) {
      return { verified: true, via: `${group.perm} on the archive through group ${group.name}` };
    }
  }
  return {
    verified: false,
    reason: `the event named ${uploader} as the uploader, but in iRODS ${uploader} neither owns nor may write ${archive}`,
  };
}
