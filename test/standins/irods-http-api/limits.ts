import { fail } from './errors.js';

/**
 * iRODS's length limits on logical and physical paths, as the server and the client libraries
 * the HTTP API links apply them (irods/irods 4.3.5 and 5.0.2, identical in both):
 * - lib/core/include/irods/rodsDef.h: MAX_PATH_ALLOWED 1024, MAX_NAME_LEN = MAX_PATH_ALLOWED + 64,
 *   the size of every path buffer (DataObjInp.objPath, CollInp.collName, DataObjInfo.filePath).
 * - lib/filesystem/include/irods/filesystem/path_utilities.hpp throw_if_path_length_exceeds_limit:
 *   the filesystem library (every /collections operation, and read/rename/copy/remove/set_permission
 *   of /data-objects) refuses a path of MAX_NAME_LEN bytes or more with USER_PATH_EXCEEDS_MAX.
 * - lib/core/include/irods/transport/default_transport.hpp open_impl copies the lpath into
 *   objPath with rstrcpy, which truncates to MAX_NAME_LEN - 1 bytes (lib/core/src/stringOpr.cpp):
 *   a write or parallel_write_init to a longer path opens the truncated path. The other
 *   DataObjInp-based operations copy the same way (strncpy_null_terminated, string::copy).
 * - server/core/src/physPath.cpp setPathForGraftPathScheme: a physical path of MAX_NAME_LEN bytes
 *   or more is USER_STRLEN_TOOLONG.
 * - A name longer than the vault file system allows (255 bytes on ext4/xfs) fails the physical
 *   create: UNIX_FILE_CREATE_ERR - ENAMETOOLONG (plugins/resources/unixfilesystem unix_file_create).
 */
export const MAX_PATH_ALLOWED = 1024;
export const MAX_NAME_LEN = MAX_PATH_ALLOWED + 64;

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The filesystem library's check, made before any catalog lookup. */
export function throwIfPathTooLong(lpath: string): void {
  if (byteLength(lpath) >= MAX_NAME_LEN) fail('USER_PATH_EXCEEDS_MAX', `path length cannot exceed max path size: ${lpath}`);
}

/**
 * What the server receives for `lpath` through a fixed objPath buffer: the first MAX_NAME_LEN - 1
 * bytes (a character cut in two is lost, as the C string would hold invalid UTF-8 there).
 */
export function asObjPath(lpath: string): string {
  const bytes = Buffer.from(lpath, 'utf8');
  if (bytes.length < MAX_NAME_LEN) return lpath;
  return bytes.subarray(0, MAX_NAME_LEN - 1).toString('utf8').replace(/\uFFFD+$/, '');
}
