import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { UserType } from './principals.js';
import type { IrodsServerVersion } from './zone.js';
import { startIrodsStandin } from './index.js';

/**
 * `npm run standin:irods -- --port 9000 --vault /tmp/vault [--users users.json] [--token-ttl 3600]`
 * (or `node dist/test/standins/irods-http-api/main.js ...` after `npm run build`).
 * Prints the base URL, serves until SIGINT/SIGTERM.
 */

const USAGE = `usage: standin:irods [--port N] [--host H] [--vault DIR] [--users FILE.json] [--token-ttl SECONDS]
                     [--max-rows N] [--max-body-bytes N] [--max-parallel-streams N] [--log]
                     [--irods-version 5.0.2|4.3.5] [--expose-write-error-codes]
  --users: a JSON array of {"name", "password", "type"?: "rodsuser"|"rodsadmin"|"groupadmin"}`;

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function irodsVersion(value: string | undefined): IrodsServerVersion | undefined {
  if (value === undefined || value === '5.0.2' || value === '4.3.5') return value;
  throw new Error(`--irods-version must be 5.0.2 or 4.3.5, got "${value}"`);
}

function parseUsers(text: string): { name: string; password: string; type?: UserType }[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('--users file must hold a JSON array');
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw new Error(`--users entry ${i} is not an object`);
    const { name, password, type } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || typeof password !== 'string') throw new Error(`--users entry ${i} needs string name and password`);
    if (type !== undefined && type !== 'rodsuser' && type !== 'rodsadmin' && type !== 'groupadmin') {
      throw new Error(`--users entry ${i}: type must be rodsuser, rodsadmin or groupadmin`);
    }
    return type === undefined ? { name, password } : { name, password, type };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      vault: { type: 'string' },
      users: { type: 'string' },
      'token-ttl': { type: 'string' },
      'max-rows': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-parallel-streams': { type: 'string' },
      log: { type: 'boolean' },
      'irods-version': { type: 'string' },
      'expose-write-error-codes': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const standin = await startIrodsStandin({
    port: integer(values.port, 'port') ?? 9000,
    host: values.host ?? '127.0.0.1',
    vaultDir: values.vault,
    tokenTtlSeconds: integer(values['token-ttl'], 'token-ttl'),
    maxRowsPerQuery: integer(values['max-rows'], 'max-rows'),
    maxBodyBytes: integer(values['max-body-bytes'], 'max-body-bytes'),
    maxParallelStreams: integer(values['max-parallel-streams'], 'max-parallel-streams'),
    users: values.users === undefined ? undefined : parseUsers(await readFile(values.users, 'utf8')),
    log: values.log ?? false,
    irodsVersion: irodsVersion(values['irods-version']),
    exposeWriteErrorCodes: values['expose-write-error-codes'] ?? false,
  });
  process.stdout.write(`${standin.baseUrl}\n`);
  const stop = (): void => {
    standin.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
