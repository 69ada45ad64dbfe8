import { startIrodsStandin, type IrodsStandin, type IrodsStandinOptions } from '../../standins/irods-http-api/index.js';
import { get, post, statusCode, tokenFor } from './api-client.js';

/**
 * What the conformance tests talk to: the stand-in (the default), or, with IRODS_CONTRACT=1, the
 * real iRODS HTTP API at IRODS_HTTP_API_URL (`make contract`, docs in the stand-in's README).
 * Against a real server the tests expect what the stand-in does, so every failure is a
 * difference between the two. The real zone must look like the one the stand-in boots (zone
 * tempZone, rodsadmin rods with IRODS_PASSWORD, default resource demoResc, as the iRODS test
 * environments and the upstream suite assume); the users a test asks for are created with the
 * password it gives and removed afterwards. Use a disposable test zone.
 */

export const CONTRACT = process.env.IRODS_CONTRACT === '1';

/** rods's password: the stand-in's, or the real zone's. */
export const ADMIN_PASSWORD = CONTRACT ? (process.env.IRODS_PASSWORD ?? '') : 'rods';

export interface ApiTarget {
  readonly baseUrl: string;
  /** The stand-in behind baseUrl; undefined against a real server. */
  readonly standin: IrodsStandin | undefined;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Users besides rods; against a real server they are created (and removed on close). */
  readonly users?: readonly { name: string; password: string }[];
  /** Stand-in settings; a test needing one a real server cannot be given must be skipped in contract mode. */
  readonly standin?: Omit<IrodsStandinOptions, 'users'>;
}

export async function openApiTarget(options: TargetOptions = {}): Promise<ApiTarget> {
  if (!CONTRACT) {
    const standin = await startIrodsStandin({ ...options.standin, users: options.users ?? [] });
    return { baseUrl: standin.baseUrl, standin, close: () => standin.close() };
  }
  const baseUrl = process.env.IRODS_HTTP_API_URL;
  if (!baseUrl) throw new Error('IRODS_CONTRACT=1 needs IRODS_HTTP_API_URL (and IRODS_PASSWORD for rods)');
  const rods = await tokenFor(baseUrl, 'rods', ADMIN_PASSWORD);
  const created: string[] = [];
  for (const user of options.users ?? []) {
    const exists = (await get(baseUrl, 'users-groups', rods, { op: 'stat', name: user.name, zone: 'tempZone' })).json?.exists === true;
    if (!exists) {
      const made = await post(baseUrl, 'users-groups', rods, { op: 'create_user', name: user.name, zone: 'tempZone' });
      if (statusCode(made) !== 0) throw new Error(`could not create user ${user.name} on the contract zone: ${made.text}`);
      created.push(user.name);
    }
    await post(baseUrl, 'users-groups', rods, { op: 'set_password', name: user.name, zone: 'tempZone', 'new-password': user.password });
  }
  return {
    baseUrl,
    standin: undefined,
    async close() {
      for (const name of created) {
        // remove_user refuses a non-empty home: empty it first, as its owner's admin.
        const home = `/tempZone/home/${name}`;
        const listed = await get(baseUrl, 'collections', rods, { op: 'list', lpath: home });
        const entries = Array.isArray(listed.json?.entries) ? (listed.json.entries as unknown[]).filter((e): e is string => typeof e === 'string') : [];
        for (const lpath of entries) {
          await post(baseUrl, 'collections', rods, { op: 'remove', lpath, recurse: 1, 'no-trash': 1 });
          await post(baseUrl, 'data-objects', rods, { op: 'remove', lpath, 'catalog-only': 0, 'no-trash': 1, admin: 1 });
        }
        await post(baseUrl, 'users-groups', rods, { op: 'remove_user', name, zone: 'tempZone' });
      }
    },
  };
}
