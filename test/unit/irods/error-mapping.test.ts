import { describe, expect, it } from 'vitest';
import { irodsCodeName } from '../../../src/irods/error-codes.js';
import { checkJsonResponse, transportError } from '../../../src/irods/error-mapping.js';
import { IrodsCode, IrodsError, isAlreadyExists, isNotFound, isPermissionDenied, isQuotaRefusal } from '../../../src/irods/errors.js';

const ctx = { op: 'data-objects/stat', lpath: '/tempZone/home/rods/x' };

function thrown(fn: () => unknown): IrodsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof IrodsError) return err;
    throw err;
  }
  throw new Error('expected an IrodsError');
}

describe('checkJsonResponse', () => {
  it('returns the body when HTTP is 200 and status_code is 0', () => {
    const body = checkJsonResponse(ctx, 200, '{"irods_response":{"status_code":0},"size":3}');
    expect(body.size).toBe(3);
  });

  it('treats HTTP 200 with a negative status_code as a failure and names the code', () => {
    const err = thrown(() =>
      checkJsonResponse(ctx, 200, '{"irods_response":{"status_code":-171000,"status_message":"no such object"}}'),
    );
    expect(err.status).toBe(200);
    expect(err.code).toBe(-171000);
    expect(err.codeName).toBe('NOT_A_DATA_OBJECT');
    expect(err.op).toBe('data-objects/stat');
    expect(err.lpath).toBe('/tempZone/home/rods/x');
    expect(err.message).toContain('NOT_A_DATA_OBJECT (-171000)');
    expect(err.message).toContain('no such object');
    expect(isNotFound(err)).toBe(true);
    expect(err.retryable).toBe(false);
  });

  it('keeps failed_operation of an atomic batch failure (HTTP 400)', () => {
    const err = thrown(() =>
      checkJsonResponse(
        { op: 'collections/modify_metadata', lpath: '/z/c' },
        400,
        JSON.stringify({
          irods_response: {
            status_code: -818000,
            failed_operation: { error_message: 'denied', operation: { operation: 'add' }, operation_index: 2 },
          },
        }),
      ),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe(IrodsCode.CAT_NO_ACCESS_PERMISSION);
    expect(err.failedOperation).toEqual({ index: 2, message: 'denied' });
    expect(err.message).toContain('operation #2 of the batch failed: denied');
    expect(isPermissionDenied(err)).toBe(true);
  });

  it('maps an empty 404 (read of a missing object) to a not-found error without a code', () => {
    const err = thrown(() => checkJsonResponse(ctx, 404, ''));
    expect(err.status).toBe(404);
    expect(err.code).toBeUndefined();
    expect(isNotFound(err)).toBe(true);
  });

  it('keeps the iRODS code of a 4xx answer that carries one', () => {
    const err = thrown(() => checkJsonResponse(ctx, 400, '{"irods_response":{"status_code":-171000}}'));
    expect(err.status).toBe(400);
    expect(err.codeName).toBe('NOT_A_DATA_OBJECT');
  });

  it('refuses a 200 answer without irods_response', () => {
    const err = thrown(() => checkJsonResponse(ctx, 200, '<html>proxy</html>'));
    expect(err.message).toContain('no irods_response');
  });

  it('marks 5xx and 503 as retryable, 4xx not', () => {
    expect(thrown(() => checkJsonResponse(ctx, 503, '')).retryable).toBe(true);
    expect(thrown(() => checkJsonResponse(ctx, 500, '')).retryable).toBe(true);
    expect(thrown(() => checkJsonResponse(ctx, 400, '')).retryable).toBe(false);
  });
});

describe('transportError', () => {
  it('turns a refused connection into status 0 with a clear message', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const err = transportError(ctx, cause);
    expect(err.status).toBe(0);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('connection refused');
    expect(err.cause).toBe(cause);
  });

  it('names the timeout of a request that got no answer', () => {
    const err = transportError(ctx, Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 1500);
    expect(err.message).toContain('1500 ms');
  });

  it('finds the code of a wrapped cause (fetch-style errors)', () => {
    const inner = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const err = transportError(ctx, new TypeError('fetch failed', { cause: inner }));
    expect(err.message).toContain('connection reset');
  });
});

describe('irodsCodeName', () => {
  it('names known codes and ignores the errno part', () => {
    expect(irodsCodeName(-833000)).toBe('CAT_NAME_EXISTS_AS_COLLECTION');
    expect(irodsCodeName(-510002)).toBe('UNIX_FILE_OPEN_ERR');
    expect(irodsCodeName(-999999999)).toBeUndefined();
  });
});

describe('error predicates', () => {
  it('recognise "already exists" codes', () => {
    const err = new IrodsError({ status: 200, code: IrodsCode.CAT_NAME_EXISTS_AS_DATAOBJ, op: 'x', message: 'm' });
    expect(isAlreadyExists(err)).toBe(true);
    expect(isNotFound(err)).toBe(false);
    expect(isAlreadyExists(new Error('plain'))).toBe(false);
  });
});

describe('write failures: HTTP API 0.7.0 built against iRODS 5.0.2 or older, and newer', () => {
  const write = { op: 'data-objects/write', lpath: '/tempZone/home/alice/x.tif' };
  const badStream = (code: number) => JSON.stringify({ irods_response: { status_code: code, status_message: 'Output stream to data object is in a bad state.' } });

  it('says that the cause of INVALID_HANDLE from a write is hidden, and retries it', () => {
    const err = thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.INVALID_HANDLE)));
    expect(err.codeName).toBe('INVALID_HANDLE');
    expect(err.causeHidden).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('does not say why');
    expect(isPermissionDenied(err)).toBe(false);
    // The same code from another operation means what it says.
    const other = thrown(() => checkJsonResponse({ op: 'data-objects/read' }, 200, badStream(IrodsCode.INVALID_HANDLE)));
    expect(other.causeHidden).toBe(false);
    expect(thrown(() => checkJsonResponse({ op: 'data-objects/parallel_write_init' }, 200, badStream(IrodsCode.INVALID_HANDLE))).causeHidden).toBe(true);
  });

  it('classifies the real codes a newer build reports for the same failures', () => {
    const denied = thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.CAT_NO_ACCESS_PERMISSION)));
    expect(denied.causeHidden).toBe(false);
    expect(isPermissionDenied(denied)).toBe(true);
    expect(denied.retryable).toBe(false);

    const locked = thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.LOCKED_DATA_OBJECT_ACCESS)));
    expect(locked.codeName).toBe('LOCKED_DATA_OBJECT_ACCESS');
    expect(locked.retryable).toBe(true);
    // A replica being written votes zero: a second writer gets HIERARCHY_ERROR, which passes too.
    expect(thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.HIERARCHY_ERROR))).retryable).toBe(true);

    const tooLong = thrown(() => checkJsonResponse(write, 200, badStream(-511036)));
    expect(tooLong.codeName).toBe('UNIX_FILE_CREATE_ERR');
    expect(tooLong.retryable).toBe(false);

    const missing = thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.OBJ_PATH_DOES_NOT_EXIST)));
    expect(isNotFound(missing)).toBe(true);
  });

  it('recognises quota refusals only where iRODS reports them', () => {
    expect(isQuotaRefusal(thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.SYS_NOT_ALLOWED))))).toBe(true);
    expect(isQuotaRefusal(thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.SYS_RESC_QUOTA_EXCEEDED))))).toBe(true);
    expect(isQuotaRefusal(thrown(() => checkJsonResponse({ op: 'data-objects/replicate' }, 200, badStream(IrodsCode.SYS_NOT_ALLOWED))))).toBe(false);
    expect(isQuotaRefusal(thrown(() => checkJsonResponse(write, 200, badStream(IrodsCode.INVALID_HANDLE))))).toBe(false);
  });
});
