import { describe, expect, it } from 'vitest';
import { ServiceUnreachable, connectionFailure, postgresAddress, reaching, redisAddress } from '../../../src/cli/service-unreachable.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('an unreachable service', () => {
  it('is named with its variable and address, its password masked', async () => {
    const err = await reaching(postgresAddress('postgres://agent:pgpass@db.example:5432/agent'), () => Promise.reject(refused)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnreachable);
    expect((err as Error).message).toBe('PostgreSQL at postgres://agent:********@db.example:5432/agent (AGENT_DATABASE_URL) refused the connection (ECONNREFUSED)');
    expect((err as Error).message).not.toContain('pgpass');
  });

  it('reads the reason through the wrappers Node and the drivers put around it', () => {
    // `localhost` tries ::1 and 127.0.0.1: Node throws an AggregateError of both.
    expect(connectionFailure(new AggregateError([refused, refused], ''))).toBe('refused the connection (ECONNREFUSED)');
    // fetch: TypeError('fetch failed', { cause }).
    expect(connectionFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }))).toMatch(/no such host name/);
    expect(connectionFailure(new Error('syntax error at or near'))).toBeUndefined();
    expect(new ServiceUnreachable(redisAddress('redis://:pw@r:6379'), 'does not answer').message).toBe('Redis at redis://:********@r:6379 (AGENT_REDIS_URL) does not answer');
  });

  it('lets every other failure through unchanged', async () => {
    const other = new Error('permission denied for table jobs');
    await expect(reaching(postgresAddress('postgres://x@y/z'), () => Promise.reject(other))).rejects.toBe(other);
  });
});
