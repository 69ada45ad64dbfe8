/**
 * Where a filesystem view of the zone (an NFSRODS mount, or any other) shows a collection.
 * NFSRODS exports one collection, its `irods_mount_point` (often the zone, `/tempZone`, but
 * `/tempZone/home` is as common), as the root of the mount: with the mount at `/mnt/irods`, the
 * collection `/tempZone/home/lab/x` is `/mnt/irods/lab/x` in the second case.
 */
export interface ZoneMount {
  /** The directory the mount is at, on the agent host and the OMERO server alike. */
  readonly directory: string;
  /** The collection it shows (NFSRODS's irods_mount_point), without a trailing slash. */
  readonly collection: string;
}

/** The directory showing `lpath`, or undefined when the mount does not show it. */
export function mountedPath(lpath: string, mount: ZoneMount): string | undefined {
  if (lpath === mount.collection) return mount.directory;
  if (!lpath.startsWith(`${mount.collection}/`)) return undefined;
  return `${mount.directory}${lpath.slice(mount.collection.length)}`;
}
