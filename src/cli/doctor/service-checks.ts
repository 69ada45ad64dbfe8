import { RedisConnection } from 'bullmq';
import { Redis } from 'ioredis';
import { maskUrlPassword, type Config } from '../../config/index.js';
import { migrationStatus } from '../../store/index.js';
import { connectionFailure, postgresAddress, redisAddress, ServiceUnreachable } from '../service-unreachable.js';
import { fail, ok, warn, type CheckResult } from './checklist.js';

const PASSWORD_REFUSED = new Set(['28P01', '28000']);

/** "PostgreSQL at … (AGENT_DATABASE_URL) refused the connection (ECONNREFUSED)", or the error's own words. */
function unreachable(service: ReturnType<typeof postgresAddress>, err: unknown): string {
  return new ServiceUnreachable(service, connectionFailure(err) ?? `failed: ${(err as Error).message}`).message;
}

/** PostgreSQL answers, and its schema is the one this version of the agent expects. */
export async function checkPostgres(config: Config): Promise<CheckResult[]> {
  const address = postgresAddress(config.databaseUrl);
  const title = 'PostgreSQL reachable, migrations current';
  try {
    const status = await migrationStatus(config.databaseUrl);
    if (!status.databaseExists) {
      return [fail('postgresql', title, 'the database does not exist yet', 'run `irods-omero-agent migrate` (it creates the database named in AGENT_DATABASE_URL), or start the agent')];
    }
    if (status.unknown.length) {
      return [
        fail('postgresql', title, `applied by a newer agent: ${status.unknown.join(', ')}`, 'run the same (newer) version of the agent everywhere: this one does not know that schema (docs/install.md, Upgrades)'),
      ];
    }
    if (status.pending.length) {
      return [fail('postgresql', title, `${status.pending.length} migration(s) pending: ${status.pending.join(', ')}`, 'stop every agent process, run `irods-omero-agent migrate`, start them again (docs/install.md, Upgrades)')];
    }
    return [ok('postgresql', title, `${status.applied.length} migrations applied, the last ${status.applied[status.applied.length - 1] ?? '-'}`)];
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && PASSWORD_REFUSED.has(code)) {
      return [fail('postgresql', title, `PostgreSQL refused the login: ${(err as Error).message}`, 'fix the user and password in AGENT_DATABASE_URL (or AGENT_DATABASE_URL_FILE), or pg_hba.conf')];
    }
    return [fail('postgresql', title, unreachable(address, err), 'start PostgreSQL, or fix the host and port in AGENT_DATABASE_URL')];
  }
}

/** Redis's version (BullMQ needs 5.0 at least, 6.2 recommended) and its eviction policy, from INFO. */
function parseInfo(info: string): { version: string | undefined; evictionPolicy: string | undefined } {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  return { version: field('redis_version') ?? field('valkey_version'), evictionPolicy: field('maxmemory_policy') };
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Redis answers, in a version BullMQ supports, and keeps every key: with any other eviction
 * policy Redis may drop queue keys under memory pressure and jobs stall (BullMQ warns as much).
 */
export async function checkRedis(config: Config): Promise<CheckResult[]> {
  const address = redisAddress(config.redisUrl);
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  try {
    let info: string;
    try {
      await redis.connect();
      info = await redis.info();
    } catch (err) {
      return [fail('redis', 'Redis reachable', unreachable(address, err), 'start Redis, or fix AGENT_REDIS_URL (host, port, password)')];
    }
    const { version, evictionPolicy } = parseInfo(info);
    const results: CheckResult[] = [];
    const minimum = RedisConnection.minimumVersion;
    const recommended = RedisConnection.recommendedMinimumVersion;
    if (version === undefined) results.push(warn('redis', 'Redis reachable, a version BullMQ supports', 'INFO names no version', `make sure it is Redis ${recommended} or later`));
    else if (!versionAtLeast(version, minimum)) results.push(fail('redis', 'Redis reachable, a version BullMQ supports', `Redis ${version}`, `BullMQ needs Redis ${minimum} or later (${recommended}+ recommended): upgrade the server at AGENT_REDIS_URL`));
    else if (!versionAtLeast(version, recommended)) results.push(warn('redis', 'Redis reachable, a version BullMQ supports', `Redis ${version}`, `BullMQ recommends Redis ${recommended} or later`));
    else results.push(ok('redis', 'Redis reachable, a version BullMQ supports', `Redis ${version} at ${maskUrlPassword(address.url)}`));
    results.push(
      evictionPolicy === 'noeviction'
        ? ok('redis.eviction', 'Redis keeps every key (maxmemory-policy noeviction)', 'noeviction')
        : fail(
            'redis.eviction',
            'Redis keeps every key (maxmemory-policy noeviction)',
            `maxmemory-policy is ${evictionPolicy ?? 'not reported'}: Redis may evict queue keys and jobs stall`,
            'set `maxmemory-policy noeviction` in redis.conf (or `CONFIG SET maxmemory-policy noeviction` and CONFIG REWRITE) on the Redis of AGENT_REDIS_URL',
          ),
    );
    return results;
  } finally {
    redis.disconnect();
  }
}
