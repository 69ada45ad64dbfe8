import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { UserType } from './principals.js';
import { BASE_PATH, buildServer } from './server.js';
import { createZone, type InitialUser, type IrodsServerVersion } from './zone.js';

/**
 * A faithful stand-in of the iRODS HTTP API 0.7.0 for tests, benchmarks and `make demo`
 * (no iRODS server can run on the development machines). See README.md in this folder for what
 * it reproduces and where it deliberately simplifies.
 */

export interface IrodsStandinOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Where data object bytes live; default a fresh temporary directory, removed on close(). */
  readonly vaultDir?: string;
  /** Lifetime of bearer tokens (not extended by use); default 3600. */
  readonly tokenTtlSeconds?: number;
  /** max_number_of_rows_per_catalog_query; default 15. */
  readonly maxRowsPerQuery?: number;
  /** max_size_of_request_body_in_bytes; default 8 MiB. */
  readonly maxBodyBytes?: number;
  /** max_number_of_parallel_write_streams (all handles, all clients); default 15. */
  readonly maxParallelStreams?: number;
  /** max_number_of_streams_per_parallel_write_handle; default 3. */
  readonly maxStreamsPerHandle?: number;
  /** The iRODS server behind the API: '5.0.2' (default) or '4.3.5'. */
  readonly irodsVersion?: IrodsServerVersion;
  /** Report real iRODS codes for failed write opens instead of INVALID_HANDLE (iRODS 5.1+ builds). */
  readonly exposeWriteErrorCodes?: boolean;
  /** Users besides rods/rods (whose password may be changed by listing rods here). */
  readonly users?: readonly { name: string; password: string; type?: UserType }[];
  readonly log?: boolean;
}

export interface IrodsStandin {
  /** e.g. http://127.0.0.1:40123/irods-http-api/0.7.0 */
  readonly baseUrl: string;
  readonly port: number;
  readonly vaultDir: string;
  readonly zone: string;
  close(): Promise<void>;
}

export const STANDIN_ZONE = 'tempZone';
export const STANDIN_RESOURCE = 'demoResc';

export async function startIrodsStandin(options: IrodsStandinOptions = {}): Promise<IrodsStandin> {
  const ownsVault = options.vaultDir === undefined;
  const vaultDir = ownsVault ? await mkdtemp(join(tmpdir(), 'irods-standin-vault-')) : resolve(options.vaultDir ?? '.');
  const users: InitialUser[] = (options.users ?? []).map((u) => ({ name: u.name, password: u.password, type: u.type ?? 'rodsuser' }));
  const zone = await createZone(
    {
      zone: STANDIN_ZONE,
      resource: STANDIN_RESOURCE,
      vaultDir,
      irodsVersion: options.irodsVersion ?? '5.0.2',
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      maxRowsPerQuery: options.maxRowsPerQuery ?? 15,
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      maxParallelStreams: options.maxParallelStreams ?? 15,
      maxStreamsPerHandle: options.maxStreamsPerHandle ?? 3,
      exposeWriteErrorCodes: options.exposeWriteErrorCodes ?? false,
    },
    users,
  );
  const app = buildServer(zone, { log: options.log ?? false });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    baseUrl: `http://${urlHost}:${port}${BASE_PATH}`,
    port,
    vaultDir,
    zone: STANDIN_ZONE,
    async close() {
      await app.close();
      zone.parallelWrites.closeAll();
      if (ownsVault) await rm(vaultDir, { recursive: true, force: true });
    },
  };
}
