import { describe, expect, it } from 'vitest';
import { TokenDigests } from '../../../src/http/token-digests.js';

describe('TokenDigests', () => {
  const tokens = new TokenDigests([
    { token: 'short', value: 'a' },
    { token: 'a-much-longer-token-than-the-first', value: 'b' },
    { token: 'short', value: 'c' },
  ]);

  it('finds every entry whose token is the one presented, in configuration order', () => {
    expect(tokens.matches('short')).toEqual(['a', 'c']);
    expect(tokens.matches('a-much-longer-token-than-the-first')).toEqual(['b']);
  });

  it('matches nothing for a prefix, an extension or another length of a token', () => {
    for (const presented of ['shor', 'shortt', '', 'a-much-longer-token', 'short\u0000']) expect(tokens.matches(presented)).toEqual([]);
  });

  it('knows how many tokens it holds', () => {
    expect(tokens.size).toBe(3);
    expect(new TokenDigests([]).size).toBe(0);
  });
});
