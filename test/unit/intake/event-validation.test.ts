import { describe, expect, it } from 'vitest';
import { eventBodyValidator } from '../../../src/intake/event-validation.js';
import { EventBody, logicalPathProblem } from '../../../src/intake/landed-event.js';

const validate = eventBodyValidator(EventBody, ['logical_path', 'source_logical_path']);

function event(data: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'data_object.landed',
    timestamp: '2026-06-18T09:12:44.318Z',
    data: { zone: 'tempZone', logical_path: '/tempZone/home/lab/run42.zip', user: 'alice', pep: 'pep_api_data_obj_put_post', ...data },
    ...top,
  };
}

describe('logicalPathProblem', () => {
  it('takes canonical paths, including names made of dots and odd characters', () => {
    for (const path of ['/tempZone/x.zip', '/tempZone/home/lab/...zip', '/z/a/.hidden.zip', "/z/a/it's $weird é.zip"]) {
      expect(logicalPathProblem(path), path).toBeUndefined();
    }
  });

  it('says what is wrong with the others', () => {
    expect(logicalPathProblem('tempZone/x.zip')).toMatch(/not absolute/);
    expect(logicalPathProblem('/tempZone')).toMatch(/nothing below a zone/);
    expect(logicalPathProblem('/tempZone/home//x.zip')).toMatch(/empty segment/);
    expect(logicalPathProblem('/tempZone/home/x/')).toMatch(/empty segment/);
    expect(logicalPathProblem('/tempZone/home/../x.zip')).toMatch(/"\.\." segment/);
    expect(logicalPathProblem('/tempZone/./x.zip')).toMatch(/"\." segment/);
  });
});

describe('eventBodyValidator', () => {
  it('takes a valid event, with fields it does not know', () => {
    expect(validate(event({ size: 12, added_later: { any: ['thing'] } }, { version: 2 }))).toBeUndefined();
  });

  it('names the field and the reason code of each refusal', () => {
    const anonymous = event();
    delete (anonymous.data as Record<string, unknown>).user;
    expect(validate(anonymous)).toMatchObject({ code: 'missing_field', field: 'data.user' });
    expect(validate(event({ size: '12' }))).toMatchObject({ code: 'wrong_type', field: 'data.size' });
    expect(validate(event({ size: 1.5 }))).toMatchObject({ code: 'wrong_type', field: 'data.size' });
    expect(validate(event({ size: 2 ** 63 }))).toMatchObject({ code: 'out_of_range', field: 'data.size' });
    expect(validate(event({ size: -1 }))).toMatchObject({ code: 'out_of_range', field: 'data.size' });
    expect(validate(event({ checksum: 'a\u0000' }))).toMatchObject({ code: 'invalid_string', field: 'data.checksum' });
    expect(validate(event({ logical_path: '/tempZone/home/\udc80.zip' }))).toMatchObject({ code: 'invalid_string', field: 'data.logical_path' });
    expect(validate(event({}, { extra: ['ok', 'bad\u0000'] }))).toMatchObject({ code: 'invalid_string', field: 'extra.1' });
    expect(validate(event({ logical_path: '/tempZone/home/../x.zip' }))).toMatchObject({ code: 'non_canonical_path', field: 'data.logical_path' });
    expect(validate(event({ pep: '' }))).toMatchObject({ code: 'invalid_value', field: 'data.pep' });
    expect(validate(event({}, { timestamp: '2026-02-30T00:00:00Z' }))).toMatchObject({ code: 'invalid_value', field: 'timestamp' });
    expect(validate(null)).toMatchObject({ code: 'wrong_type', field: 'body' });
  });
});
