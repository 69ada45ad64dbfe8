import { describe, expect, it } from 'vitest';
import { encodeParams } from '../../../src/irods/transport.js';
import { encodeMultipart } from '../../../src/irods/write-request.js';

describe('encodeParams', () => {
  it('sends flags as 1/0, numbers as text and leaves undefined out', () => {
    const p = encodeParams({ op: 'write', truncate: false, recurse: true, offset: 42, resource: undefined });
    expect(p.toString()).toBe('op=write&truncate=0&recurse=1&offset=42');
  });

  it('percent-encodes UTF-8 lpaths', () => {
    expect(encodeParams({ lpath: '/z/µm ü.tif' }).toString()).toBe('lpath=%2Fz%2F%C2%B5m+%C3%BC.tif');
  });
});

describe('encodeMultipart', () => {
  it('puts UTF-8 fields and the raw bytes in separate parts', () => {
    const { body, contentType } = encodeMultipart({ op: 'write', lpath: '/z/é.txt' }, Buffer.from([0, 1, 2, 255]));
    const boundary = /boundary=(.+)$/.exec(contentType)?.[1] ?? '';
    expect(boundary).not.toBe('');
    const text = body.toString('latin1');
    expect(text.startsWith(`--${boundary}\r\n`)).toBe(true);
    expect(body.includes(Buffer.from('name="lpath"\r\n\r\n/z/é.txt\r\n', 'utf8'))).toBe(true);
    expect(body.includes(Buffer.from([13, 10, 13, 10, 0, 1, 2, 255, 13, 10]))).toBe(true);
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
  });
});
