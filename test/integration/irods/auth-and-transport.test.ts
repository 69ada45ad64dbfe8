import net from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIrodsClient } from '../../../src/irods/client.js';
import { IrodsError, isNotFound } from '../../../src/irods/errors.js';
import type { IrodsClient } from '../../../src/irods/types.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';
import { waitFor } from '../../support/wait.js';

interface Sample {
  op: string;
  status: number;
  irodsStatus?: number;
}

async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function failure(promise: Promise<unknown>): Promise<IrodsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IrodsError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('iRODS client: authentication, tokens and transport', () => {
  let irods: IrodsForTest;

  beforeAll(async () => {
    irods = await startIrodsForTest({ tokenTtlSeconds: 1 });
  });
  afterAll(async () => {
    await irods.close();
  });

  it('reads the API version from /info without a token', async () => {
    const info = await irods.client.info();
    expect(info.apiVersion).toBe('0.7.0');
    expect(irods.client.baseUrl).toBe(irods.standin.baseUrl.replace(/\/+$/, ''));
  });

  it('refuses a wrong password with a 401 IrodsError that does not contain the password', async () => {
    const c = irods.clientFor('rods', 'not-the-password-xyz');
    const err = await failure(c.collections.stat(irods.home()));
    expect(err.status).toBe(401);
    expect(err.op).toBe('authenticate');
    expect(err.message).toContain("'rods'");
    expect(err.message).not.toContain('not-the-password-xyz');
    expect(JSON.stringify(err)).not.toContain('not-the-password-xyz');
  });

  it('re-authenticates transparently when the token expires, once for many requests', async () => {
    const samples: Sample[] = [];
    const a = irods.clientFor('rods', 'rods', { onRequest: (s) => samples.push(s) });
    const probe = irods.clientFor('rods', 'rods');
    await a.authenticate();
    // The probe authenticates after `a`; once the probe's token has expired, so has `a`'s.
    const probeSamples: Sample[] = [];
    const probeWatch = irods.clientFor('rods', 'rods', { onRequest: (s) => probeSamples.push(s) });
    await probe.authenticate();
    await probeWatch.authenticate();
    await waitFor(
      'the probe token to expire',
      async () => {
        await probeWatch.collections.stat(irods.home());
        return probeSamples.some((s) => s.status === 401);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );

    const before = samples.filter((s) => s.op === 'authenticate').length;
    const stats = await Promise.all(Array.from({ length: 12 }, () => a.collections.stat(irods.home())));
    expect(stats.every((s) => s.type === 'collection')).toBe(true);
    expect(samples.some((s) => s.status === 401)).toBe(true);
    expect(samples.filter((s) => s.op === 'authenticate').length - before).toBe(1);
  });

  it('never writes the password or the token into its logs', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const c = irods.clientFor('rods', 'rods', { log, retry: { retries: 1, minTimeoutMs: 5, maxTimeoutMs: 10 } });
    await c.collections.stat(irods.home());
    await failure(c.dataObjects.stat(`${irods.home()}/none`));
    await waitFor(
      'a re-authentication to be logged',
      async () => {
        await c.collections.stat(irods.home());
        return lines.some((l) => l.includes('authenticating again'));
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const wrong = irods.clientFor('rods', 'hunter2-password', { log });
    await failure(wrong.info().then(() => wrong.authenticate()));
    const all = lines.join('\n');
    expect(all).not.toMatch(/Bearer|Basic /);
    expect(all).not.toContain('hunter2-password');
  });

  it('reports a missing collection with a negative iRODS code behind HTTP 200', async () => {
    const samples: Sample[] = [];
    const c = irods.clientFor('rods', 'rods', { onRequest: (s) => samples.push(s) });
    const err = await failure(c.collections.stat(`${irods.home()}/does-not-exist`));
    expect(err.status).toBe(200);
    expect(err.code).toBeLessThan(0);
    expect(err.codeName).toBeDefined();
    expect(err.lpath).toBe(`${irods.home()}/does-not-exist`);
    expect(isNotFound(err)).toBe(true);
    const stat = samples.find((s) => s.op === 'collections/stat');
    expect(stat?.status).toBe(200);
    expect(stat?.irodsStatus).toBe(err.code);
  });

  it('answers 404 for an API version other than the served one', async () => {
    const wrong = createIrodsClient({
      baseUrl: irods.standin.baseUrl.replace('0.7.0', '0.6.9'),
      username: 'rods',
      password: 'rods',
      retry: { retries: 0 },
    });
    try {
      const err = await failure(wrong.info());
      expect(err.status).toBe(404);
    } finally {
      await wrong.close();
    }
  });

  it('turns a refused connection into status 0 after retrying the idempotent request', async () => {
    const port = await unusedPort();
    const samples: Sample[] = [];
    const dead: IrodsClient = createIrodsClient({
      baseUrl: `http://127.0.0.1:${port}/irods-http-api/0.7.0`,
      username: 'rods',
      password: 'secret-password-abc',
      retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
      onRequest: (s) => samples.push(s),
    });
    try {
      const err = await failure(dead.info());
      expect(err.status).toBe(0);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/connection refused/);
      expect(samples.filter((s) => s.op === 'info')).toHaveLength(3);
      const authErr = await failure(dead.collections.stat('/tempZone'));
      expect(authErr.status).toBe(0);
      expect(authErr.message).not.toContain('secret-password-abc');
    } finally {
      await dead.close();
    }
  });

  it('times out a request that gets no answer', async () => {
    const silent = net.createServer(() => {
      // Accept and never answer.
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const c = createIrodsClient({
      baseUrl: `http://127.0.0.1:${port}/irods-http-api/0.7.0`,
      username: 'rods',
      password: 'rods',
      requestTimeoutMs: 300,
      retry: { retries: 0 },
    });
    try {
      const err = await failure(c.info());
      expect(err.status).toBe(0);
      expect(err.message).toMatch(/300 ms/);
    } finally {
      await c.close();
      silent.close();
    }
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(irods.client.dataObjects.read(`${irods.home()}/x`, { signal: controller.signal })).rejects.toThrow(
      'caller gave up',
    );
  });
});
