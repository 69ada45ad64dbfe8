import { describe, expect, it } from 'vitest';
import { safeJson, safeText } from '../../../src/store/safe-text.js';

describe('safeText and safeJson', () => {
  it('replaces NUL and unpaired surrogates, and nothing else', () => {
    expect(safeText('a\u0000b')).toBe('a\ufffdb');
    expect(safeText('/z/h/\ud800x.zip')).toBe('/z/h/\ufffdx.zip');
    expect(safeText('end\udc00')).toBe('end\ufffd');
    expect(safeText('paired \ud83d\ude00 and é')).toBe('paired \ud83d\ude00 and é');
    expect(safeText(undefined)).toBeUndefined();
    expect(safeText(null)).toBeNull();
  });

  it('serialises clean values unchanged and makes strings inside objects safe', () => {
    const clean = { a: 'x\\u0000 is only text', b: [1, '😀'] };
    expect(JSON.parse(safeJson(clean))).toEqual(clean);
    expect(JSON.parse(safeJson({ entry: 'li\u0000nk', nested: ['\ud800'] }))).toEqual({ entry: 'li\ufffdnk', nested: ['\ufffd'] });
  });
});
