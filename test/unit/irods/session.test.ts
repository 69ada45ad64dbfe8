import { describe, expect, it } from 'vitest';
import { Session } from '../../../src/irods/session.js';

describe('Session', () => {
  it('authenticates once for many requests starting together', async () => {
    let logins = 0;
    const session = new Session(async () => {
      logins++;
      await new Promise((r) => setImmediate(r));
      return `token-${logins}`;
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => session.current()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(logins).toBe(1);
  });

  it('renews a refused token once even when many requests saw it refused', async () => {
    let logins = 0;
    const session = new Session(() => Promise.resolve(`token-${++logins}`));
    const stale = await session.current();
    const renewed = await Promise.all(Array.from({ length: 5 }, () => session.renew(stale)));
    expect(new Set(renewed)).toEqual(new Set(['token-2']));
    // A request that saw the old token refused after the renewal gets the new one, not a third.
    expect(await session.renew(stale)).toBe('token-2');
    expect(logins).toBe(2);
  });

  it('tries again after a failed authentication', async () => {
    let attempts = 0;
    const session = new Session(() => (++attempts === 1 ? Promise.reject(new Error('down')) : Promise.resolve('ok')));
    await expect(session.current()).rejects.toThrow('down');
    expect(await session.current()).toBe('ok');
  });
});
