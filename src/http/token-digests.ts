import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Shared secrets (admin tokens, native-rule tokens) kept as SHA-256 digests. A presented token is
 * compared with every one through its digest and timingSafeEqual: equal lengths whatever the
 * tokens' lengths, and no early exit, so the time taken tells nothing about which token (or how
 * much of one, or how long one is) matched.
 */
export class TokenDigests<T> {
  private readonly entries: readonly { readonly digest: Buffer; readonly value: T }[];

  constructor(tokens: readonly { readonly token: string; readonly value: T }[]) {
    this.entries = tokens.map((t) => ({ digest: sha256(t.token), value: t.value }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The value of every token equal to `presented`, in configuration order. */
  matches(presented: string): T[] {
    const offered = sha256(presented);
    const found: T[] = [];
    for (const entry of this.entries) if (timingSafeEqual(offered, entry.digest)) found.push(entry.value);
    return found;
  }
}
