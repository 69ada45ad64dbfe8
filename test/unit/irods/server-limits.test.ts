import { describe, expect, it } from 'vitest';
import { limitsFromInfo, serverLimitsOnce } from '../../../src/irods/server-limits.js';

describe('server limits', () => {
  it('reads the published body and stream limits from /info', () => {
    expect(
      limitsFromInfo({
        api_version: '0.7.0',
        max_size_of_request_body_in_bytes: 8388608,
        max_number_of_streams_per_parallel_write_handle: 3,
      }),
    ).toEqual({ maxBodyBytes: 8388608, maxStreamsPerHandle: 3 });
    expect(limitsFromInfo({ api_version: '0.7.0' })).toEqual({ maxBodyBytes: undefined, maxStreamsPerHandle: undefined });
  });

  it('asks /info once, and again only after a failure', async () => {
    let calls = 0;
    let fail = true;
    const limits = serverLimitsOnce(() => {
      calls++;
      if (fail) return Promise.reject(new Error('down'));
      return Promise.resolve({ max_size_of_request_body_in_bytes: 1000 });
    }, undefined);
    expect(await limits()).toEqual({ maxBodyBytes: undefined, maxStreamsPerHandle: undefined });
    fail = false;
    await Promise.all([limits(), limits(), limits()]);
    expect((await limits()).maxBodyBytes).toBe(1000);
    expect(calls).toBe(2);
  });
});
