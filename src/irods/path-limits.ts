/**
 * How long an iRODS logical path may be, for every client to reach it (irods/irods 4.3.5 and
 * 5.0.2, identical in both):
 * - iCommands refuse a path of MAX_PATH_ALLOWED - 1 bytes or more (lib/core/src/rodsPath.cpp
 *   parseRodsPath, putUtil.cpp: USER_PATH_EXCEEDS_MAX), so 1,022 bytes is the longest a user can
 *   `ils`, `iget` or `irm`.
 * - The server's filesystem library refuses MAX_NAME_LEN (1,088) bytes or more
 *   (lib/filesystem/include/irods/filesystem/path_utilities.hpp, USER_PATH_EXCEEDS_MAX, -346000):
 *   every collection the HTTP API creates goes through it.
 * - The HTTP API's write copies the path into a MAX_NAME_LEN buffer and silently cuts it
 *   (default_transport.hpp open_impl → rstrcpy): a longer object would be written under another name.
 * - A unixfilesystem vault mirrors the logical path, so each name must fit the vault's file
 *   system (255 bytes on ext4 and xfs), else the create fails with UNIX_FILE_CREATE_ERR - ENAMETOOLONG.
 */
export const MAX_PATH_ALLOWED = 1024;

/** The longest logical path, in UTF-8 bytes, that iCommands accept. */
export const LONGEST_LPATH_BYTES = MAX_PATH_ALLOWED - 2;

/** The longest collection or data object name a unixfilesystem vault can hold (NAME_MAX). */
export const LONGEST_NAME_BYTES = 255;

export type LpathProblem =
  | { readonly kind: 'path'; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'name'; readonly name: string; readonly bytes: number; readonly limit: number };

/** What makes `lpath` unusable in iRODS, or undefined when it fits. */
export function lpathProblem(lpath: string): LpathProblem | undefined {
  const bytes = Buffer.byteLength(lpath, 'utf8');
  if (bytes > LONGEST_LPATH_BYTES) return { kind: 'path', bytes, limit: LONGEST_LPATH_BYTES };
  for (const name of lpath.split('/')) {
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes > LONGEST_NAME_BYTES) return { kind: 'name', name, bytes: nameBytes, limit: LONGEST_NAME_BYTES };
  }
  return undefined;
}
