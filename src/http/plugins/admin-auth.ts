import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminRole } from '../../config/index.js';
import { HttpError } from '../http-errors.js';
import { sha256, TokenDigests } from '../token-digests.js';

/** Who is asking: the role of the token, and a fingerprint that names the token in records and logs. */
export interface AdminIdentity {
  readonly role: AdminRole;
  /** `<role>:<first 8 hex digits of SHA-256(token)>`: tells tokens apart without revealing them. */
  readonly actor: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin auth functions once a token matched. */
    admin?: AdminIdentity;
  }
}

const REALM = 'irods-omero-agent';

/** What each role may do: an operator may do everything a reader may. */
const GRANTS: Record<AdminRole, readonly AdminRole[]> = { reader: ['reader'], operator: ['reader', 'operator'] };

export function tokenFingerprint(token: string): string {
  return sha256(token).toString('hex').slice(0, 8);
}

/** The configured admin tokens (compared as TokenDigests do: nothing told by timing). */
export class AdminTokens {
  private readonly tokens: TokenDigests<AdminIdentity>;

  constructor(tokens: readonly { readonly role: AdminRole; readonly token: string }[]) {
    this.tokens = new TokenDigests(tokens.map((t) => ({ token: t.token, value: { role: t.role, actor: `${t.role}:${tokenFingerprint(t.token)}` } })));
  }

  get configured(): boolean {
    return this.tokens.size > 0;
  }

  identify(presented: string): AdminIdentity | undefined {
    const found = this.tokens.matches(presented);
    // The same token configured for both roles: the operator entry wins.
    return found.find((identity) => identity.role === 'operator') ?? found[0];
  }
}

/**
 * The token of a request: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
 * password (any user name), which is what a browser can send to the dashboard.
 */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

export type AdminCheck = { ok: true; identity: AdminIdentity } | { ok: false; status: 401 | 403; code: string; message: string };

/** Decides whether the request may act with `role`. */
export function checkAdmin(tokens: AdminTokens, request: FastifyRequest, role: AdminRole): AdminCheck {
  const token = presentedToken(request);
  if (!token) {
    return { ok: false, status: 401, code: 'unauthorized', message: 'an admin token is required (Authorization: Bearer <token>)' };
  }
  const identity = tokens.identify(token);
  if (!identity) return { ok: false, status: 401, code: 'unauthorized', message: 'the admin token is not valid' };
  if (!GRANTS[identity.role].includes(role)) {
    return { ok: false, status: 403, code: 'forbidden', message: `this needs an ${role} token; yours is a ${identity.role} token` };
  }
  return { ok: true, identity };
}

/**
 * @fastify/auth functions for the admin API: `reader` for GETs, `operator` for replay and cancel.
 * Refusals are HttpErrors (401 with a Bearer challenge, 403), mapped by the error handler.
 */
export function adminAuth(tokens: AdminTokens) {
  const guard =
    (role: AdminRole) =>
    (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
      const check = checkAdmin(tokens, request, role);
      if (check.ok) {
        request.admin = check.identity;
        done();
        return;
      }
      const headers: Record<string, string> = check.status === 401 ? { 'www-authenticate': `Bearer realm="${REALM}"` } : {};
      done(new HttpError(check.status, check.code, check.message, headers));
    };
  return { reader: guard('reader'), operator: guard('operator') };
}

/**
 * An onRequest hook for pages a browser opens (the queue dashboard): answers 401 with a Basic
 * challenge, so the browser asks for the token (as the password) and sends it on every request.
 */
export function browserAdminHook(tokens: AdminTokens, role: AdminRole) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const check = checkAdmin(tokens, request, role);
    if (check.ok) {
      request.admin = check.identity;
      return;
    }
    if (check.status === 401) reply.header('www-authenticate', `Basic realm="${REALM} admin", charset="UTF-8"`);
    await reply.code(check.status).send({ error: check.code, message: check.message });
  };
}
