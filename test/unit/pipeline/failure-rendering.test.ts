import { describe, expect, it } from 'vitest';
import { backoffDelay, maskedUrl } from '../../../src/cli/service-availability.js';
import { IrodsError } from '../../../src/irods/errors.js';
import { classifyFailure } from '../../../src/pipeline/failure-classification.js';
import { safeRendering } from '../../../src/store/safe-text.js';
import { lostStepFailure, unrecordedFailure } from '../../../src/pipeline/orphaned-steps.js';

describe('failures as the job records them', () => {
  it('says what iRODS said once', () => {
    const refused = new IrodsError({
      status: 200,
      code: -818000,
      codeName: 'CAT_NO_ACCESS_PERMISSION',
      op: 'data-objects/stat',
      lpath: '/z/a.zip',
      message: 'data-objects/stat /z/a.zip failed: HTTP 200: CAT_NO_ACCESS_PERMISSION (-818000)',
    });
    const failure = classifyFailure(refused);
    expect(failure).toMatchObject({ code: 'irods_error', retryable: false, irodsStatus: -818000 });
    expect(failure.message).toBe('iRODS refused data-objects/stat on /z/a.zip: HTTP 200: CAT_NO_ACCESS_PERMISSION (-818000)');
    expect(failure.message.split('CAT_NO_ACCESS_PERMISSION')).toHaveLength(2);
    const away = classifyFailure(new IrodsError({ status: 0, op: 'data-objects/read', lpath: '/z/a.zip', message: 'data-objects/read /z/a.zip failed: connection refused [ECONNREFUSED]' }));
    expect(away).toMatchObject({ code: 'irods_unavailable', retryable: true, message: 'iRODS did not answer data-objects/read on /z/a.zip: connection refused [ECONNREFUSED]' });
  });

  it('takes a refused login for a wait, not a failure of the job', () => {
    const failure = classifyFailure(new IrodsError({ status: 401, op: 'authenticate', message: "authentication of iRODS user 'svc' failed: HTTP 401 (wrong user name or password)" }));
    expect(failure).toMatchObject({ code: 'irods_unauthorized', retryable: true });
  });

  it('renders any text as short printable ASCII', () => {
    expect(safeRendering('entry "lien-été\u0000"')).toBe('entry \\"lien-\\u00e9t\\u00e9\\u0000\\"');
    expect(safeRendering('x'.repeat(600))).toBe(`${'x'.repeat(500)}...`);
  });

  it('keeps the failure a runner could not record, through BullMQ, and calls a worker that died too often lost', () => {
    const handed = unrecordedFailure({ code: 'unsupported_entry_type', message: 'The archive was refused: été' });
    expect(lostStepFailure('expand', handed.message)).toEqual({ code: 'unsupported_entry_type', message: 'The archive was refused: \\u00e9t\\u00e9' });
    expect(lostStepFailure('expand', 'job stalled more than allowable limit')).toMatchObject({ code: 'worker_lost' });
    expect(lostStepFailure('metadata', 'boom')).toEqual({ code: 'internal_error', message: 'The metadata step failed and its worker could not record why: boom' });
  });
});

describe('waiting for a service', () => {
  it('masks the password of a URL for the logs', () => {
    expect(maskedUrl('postgres://agent:s3cret@db:5432/ioa')).toBe('postgres://agent:****@db:5432/ioa');
    expect(maskedUrl('redis://:s3cret@cache:6379')).toBe('redis://:****@cache:6379');
    expect(maskedUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('backs off by doubling, up to its limit', () => {
    const backoff = { firstMs: 1_000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, backoff))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
