import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyRequest,
  preHandlerHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { adminAuth, type AdminTokens } from './admin-auth.js';
import { installErrorHandler } from './error-handler.js';

/** The app as admin routes see it: request and reply typed from their TypeBox schemas. */
export type AdminApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What admin routes put in front of their handlers. */
export interface AdminGuards {
  /** preHandler: a reader or an operator token. */
  readonly reader: preHandlerHookHandler;
  /** preHandler: an operator token. */
  readonly operator: preHandlerHookHandler;
  /** preValidation: a POST without a body (`curl -X POST …/replay`) means "no options". */
  readonly emptyBodyIsObject: (request: FastifyRequest) => Promise<void>;
}

const emptyBodyIsObject = async (request: FastifyRequest): Promise<void> => {
  request.body ??= {};
};

/**
 * An encapsulated plugin of admin routes: `routes` declares them on the TypeBox-typed app with
 * the guards; `asHttpError`, when given, turns the routes' refusals into HTTP answers (this
 * plugin's error handler, so no other route's errors pass through it).
 */
export function adminRoutes(tokens: AdminTokens, routes: (r: AdminApp, guards: AdminGuards) => void, asHttpError?: (err: FastifyError) => FastifyError) {
  const auth = adminAuth(tokens);
  return async function register(app: FastifyInstance): Promise<void> {
    if (asHttpError) installErrorHandler(app, asHttpError);
    routes(app.withTypeProvider<TypeBoxTypeProvider>(), { reader: app.auth([auth.reader]), operator: app.auth([auth.operator]), emptyBodyIsObject });
  };
}

/** Who made an admin request, as records name them (`<role>:<token fingerprint>`). */
export const actorOf = (request: FastifyRequest): string => request.admin?.actor ?? 'unknown';
