import { randomUUID } from 'node:crypto';
import type { Principals, Principal } from './principals.js';

interface Session {
  readonly username: string;
  readonly expiresAt: number;
}

/**
 * Bearer tokens of the Basic scheme (irods_client_http_api endpoints/authentication and
 * core/src/process_stash.cpp): a random UUID per successful authentication, valid for a fixed
 * lifetime that use does not extend; re-authenticating issues a new token and leaves older ones
 * valid until they expire.
 */
export class TokenStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  issue(username: string): string {
    const token = randomUUID();
    this.sessions.set(token, { username, expiresAt: this.clock() + this.ttlMs });
    return token;
  }

  /** The username behind a live token, or undefined for unknown and expired ones (both are 401). */
  resolve(token: string): string | undefined {
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (this.clock() >= session.expiresAt) {
      this.sessions.delete(token);
      return undefined;
    }
    return session.username;
  }
}

/**
 * Decodes `Basic <base64(user:password)>` the way the API does: everything up to the first
 * colon is the username. Returns empty strings when there is no colon.
 */
export function decodeBasicCredentials(encoded: string): { username: string; password: string } {
  const text = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return { username: '', password: '' };
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export type IdentityResult = { readonly user: Principal } | { readonly httpStatus: 400 | 401 };

/**
 * resolve_client_identity (core/src/common.cpp): no Authorization header, or one without
 * "Bearer ", is a 400; an unknown or expired token is a 401.
 */
export function resolveIdentity(
  authorization: string | undefined,
  tokens: TokenStore,
  principals: Principals,
): IdentityResult {
  if (authorization === undefined) return { httpStatus: 400 };
  const at = authorization.indexOf('Bearer ');
  if (at < 0) return { httpStatus: 400 };
  const username = tokens.resolve(authorization.slice(at + 7).trim());
  if (username === undefined) return { httpStatus: 401 };
  const user = principals.findUser(username);
  // A token outliving its user: the real API fails rc_switch_user and the request fails too.
  if (!user) return { httpStatus: 401 };
  return { user };
}
