import type { IrodsClient } from '../irods/types.js';
import { accessLevel } from '../users/index.js';

export type UploaderVerdict = { readonly allowed: true; readonly via: 'owner' | 'acl' | 'group' } | { readonly allowed: false; readonly reason: string };

/** modify_object: what writing, renaming or copying an object onto a path requires. */
const WRITE_LEVEL = accessLevel('modify_object') as number;

/**
 * Whether `user` may be the uploader of `lpath`: its owner, or holding write access to it (on
 * their own or through a group). The agent grants the uploader `own` on the expanded tree, so a
 * name someone put in a mark or an event is taken only when iRODS agrees that user could have
 * landed the object; someone who may only read it, or not see it, is refused. `owner` comes from
 * the catalog (DATA_OWNER_NAME/ZONE); the ACL from stat (groups as groups, hence the membership
 * check). Throws IrodsError (e.g. not found) from the stat.
 */
export async function verifyUploader(
  irods: IrodsClient,
  lpath: string,
  user: { readonly name: string; readonly zone: string },
  owner: { readonly name: string; readonly zone: string },
): Promise<UploaderVerdict> {
  if (owner.name === user.name && owner.zone === user.zone) return { allowed: true, via: 'owner' };
  const stat = await irods.dataObjects.stat(lpath);
  const writers = stat.permissions.filter((p) => (accessLevel(p.perm) ?? 0) >= WRITE_LEVEL);
  if (writers.some((p) => p.name === user.name && p.zone === user.zone && p.type !== 'rodsgroup')) {
    return { allowed: true, via: 'acl' };
  }
  for (const group of writers.filter((p) => p.type === 'rodsgroup')) {
    if (await irods.users.isMemberOfGroup(group.name, user.name, { zone: user.zone })) return { allowed: true, via: 'group' };
  }
  return {
    allowed: false,
    reason: `${user.name}#${user.zone} is neither the owner of ${lpath} (${owner.name}#${owner.zone}) nor allowed to write it`,
  };
}
