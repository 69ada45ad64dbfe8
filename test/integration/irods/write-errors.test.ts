import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrodsCode, IrodsError, isPermissionDenied } from '../../../src/irods/errors.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

async function failure(promise: Promise<unknown>): Promise<IrodsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IrodsError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/**
 * The same refused writes through an HTTP API 0.7.0 built against iRODS 5.0.2 (INVALID_HANDLE
 * for any write it cannot open) and one built against a newer iRODS (the real code).
 */
describe.each([
  { build: 'built against iRODS 5.0.2', exposeWriteErrorCodes: false },
  { build: 'built against iRODS 5.1', exposeWriteErrorCodes: true },
])('iRODS client: write errors, HTTP API $build', ({ exposeWriteErrorCodes }) => {
  let irods: IrodsForTest;
  let bob: Awaited<ReturnType<IrodsForTest['makeUser']>>;

  beforeAll(async () => {
    irods = await startIrodsForTest({ exposeWriteErrorCodes });
    bob = await irods.makeUser('bob');
  });
  afterAll(async () => {
    await irods.close();
  });

  it('reports a write into a collection the caller may not write', async () => {
    const err = await failure(bob.client.dataObjects.writeChunk(`${irods.home()}/not-bobs.txt`, Buffer.from('x')));
    expect(err.causeHidden).toBe(!exposeWriteErrorCodes);
    expect(err.code).toBe(exposeWriteErrorCodes ? IrodsCode.CAT_NO_ACCESS_PERMISSION : IrodsCode.INVALID_HANDLE);
    expect(isPermissionDenied(err)).toBe(exposeWriteErrorCodes);
    // Unknown cause: worth another attempt; a known refusal: not.
    expect(err.retryable).toBe(!exposeWriteErrorCodes);
  });

  it('reports a parallel write the server cannot open the same way', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 1);
    const client = irods.clientFor(bob.name, bob.password, { parallelWriteThreshold: 1024 * 1024, writeChunkBytes: 1024 * 1024 });
    const err = await failure(client.dataObjects.writeStream(`${irods.home()}/not-bobs.bin`, Readable.from([big]), { size: big.length }));
    expect(err.op).toBe('data-objects/parallel_write_init');
    expect(err.causeHidden).toBe(!exposeWriteErrorCodes);
  });
});
