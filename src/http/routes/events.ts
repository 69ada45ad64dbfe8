import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Intake, type IntakeDeps, type IntakeQueue } from '../../intake/accept-event.js';
import { ServiceUnavailable } from '../../intake/intake-errors.js';
import { eventBodyValidator } from '../../intake/event-validation.js';
import { EventBody, NativeEventBody } from '../../intake/landed-event.js';
import { isObjectEvent, objectEventRefusal, type ObjectEvent } from '../../intake/object-event-bodies.js';
import { ObjectEventIntake, type SyncScheduler } from '../../intake/object-events.js';
import { WebhookVerifier } from '../../intake/webhook-signature.js';
import type { Metrics } from '../../observability/metrics.js';
import { tellUploaderQueued } from '../../pipeline/archive-status.js';
import { markArchivesBroken } from '../../pipeline/broken-registration.js';
import { events } from '../../store/index.js';
import { HttpError } from '../http-errors.js';
import { errorAnswer } from '../plugins/error-handler.js';
import { TokenDigests } from '../token-digests.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified webhook id of an event request. */
    webhookId?: string;
    /** The body exactly as received: signatures are computed over it. */
    rawBody?: string;
  }
}

const NATIVE_ROUTE = '/v1/events/native';
const RECORDED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'content-length', 'user-agent', 'x-forwarded-for'];

function recordedHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const v = request.headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The logical path of a body that may not have passed validation, for the rejection record. */
function pathOf(body: unknown): string | undefined {
  const data = (body as { data?: { logical_path?: unknown } } | undefined)?.data;
  return typeof data?.logical_path === 'string' ? data.logical_path.slice(0, 2700) : undefined;
}

export interface EventRouteDeps extends IntakeDeps {
  /** The intake's queue, and whether Redis answers (503 before anything is recorded when not). */
  readonly queues: IntakeQueue & { isConnected(): boolean };
  readonly metrics: Metrics;
  readonly schemaReady?: (() => boolean) | undefined;
  /** The annotation sync's queue (metadata.changed); without it those events are recorded and ignored. */
  readonly syncs?: SyncScheduler | undefined;
}

/** Compares a presented token with each configured one without leaking where they differ. */

/** Logical paths of an event, each checked to be canonical. */
const PATH_FIELDS = ['logical_path', 'source_logical_path'] as const;

/**
 * The route's body validator: the event contract through TypeBox's compiler instead of the
 * app's ajv, which coerces types ("12" became a size) and says only "must be integer". A refusal
 * is a 400 with its reason code, recorded like every refused event.
 */
function validatorFor(schema: typeof EventBody | typeof NativeEventBody) {
  const validate = eventBodyValidator(schema, PATH_FIELDS);
  return () => (body: unknown) => {
    // The common contract first, then what the event's own type adds (metadata.changed, …).
    const refusal = validate(body) ?? objectEventRefusal(body as EventBody);
    return refusal ? { error: new HttpError(400, refusal.code, refusal.message) } : { value: body };
  };
}

/** The signed route takes JSON only: `application/json`, with or without parameters (charset). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/** Whether the rules should send the event again later (they read this from the JSON body). */
function retryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * POST /v1/events: the iRODS rules' door. Order of checks: content type (415) → size (413) →
 * signature and timestamp (401, through @fastify/auth) → JSON (400) → contract (400 with a reason
 * code naming the field) → decision (202/200).
 * Every request, refused or not, is recorded in PostgreSQL with its verdict and reason.
 * POST /v1/events/native (only with AGENT_NATIVE_RULE_TOKENS; deprecated, kept for rules already
 * installed): the earlier native-language rule, which cannot sign, authenticates with a shared
 * X-Agent-Token and carries its delivery id in the body. Every answer's body says `accepted` and,
 * when not, `retryable`: msiCurlPost cannot see statuses. It has no timeout either, so a hung
 * agent could pin the zone's delay server: the native rule now marks archives instead
 * (intake/landed-marks.ts).
 */
export function eventRoutes(deps: EventRouteDeps) {
  const verifier = new WebhookVerifier(deps.config.webhook.secrets, deps.config.webhook.toleranceSeconds);

  const recordRejection = async (request: FastifyRequest, status: number, reason: string): Promise<void> => {
    deps.metrics.events.inc({ verdict: 'rejected' });
    try {
      await events.recordEvent(deps.pool, {
        webhookId: header(request, 'webhook-id')?.slice(0, 256),
        eventType: undefined,
        logicalPath: pathOf(request.body),
        verdict: 'rejected',
        reason,
        httpStatus: status,
        headers: recordedHeaders(request),
        body: request.rawBody,
      });
    } catch (err) {
      request.log.warn({ err }, 'could not record a rejected event');
    }
  };

  const verifySignature = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const raw = typeof request.body === 'string' ? request.body : '';
    request.rawBody = raw;
    const verdict = verifier.verify(
      { id: header(request, 'webhook-id'), timestamp: header(request, 'webhook-timestamp'), signature: header(request, 'webhook-signature') },
      raw,
    );
    if (verdict.ok) {
      request.webhookId = verdict.id;
      done();
    } else {
      done(new HttpError(401, verdict.reason, verdict.message));
    }
  };

  const requireJson = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const type = header(request, 'content-type');
    if (isJson(type)) done();
    else done(new HttpError(415, 'unsupported_media_type', `the body must be application/json (Content-Type was ${type === undefined ? 'absent' : JSON.stringify(type)})`));
  };

  const nativeTokens = new TokenDigests(deps.config.webhook.nativeRuleTokens.map((token) => ({ token, value: true })));
  const verifyNativeToken = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    request.rawBody = typeof request.body === 'string' ? request.body : '';
    const presented = header(request, 'x-agent-token');
    if (presented && nativeTokens.matches(presented).length > 0) done();
    else done(new HttpError(401, 'bad_token', 'X-Agent-Token is missing or matches no configured native-rule token'));
  };

  // The uploader sees `queued` on the archive at once (imeta ls -d), written after the answer.
  const tellUploader = deps.irods ? tellUploaderQueued(deps.irods) : undefined;

  const intake = new Intake({ ...deps, onAccepted: tellUploader });
  const objectIntake = new ObjectEventIntake({
    config: deps.config,
    pool: deps.pool,
    log: deps.log,
    syncs: deps.syncs,
    onBroken: deps.irods ? markArchivesBroken({ pool: deps.pool, irods: deps.irods, log: deps.log }) : undefined,
  });

  /** metadata.changed, registered_data.changed: about objects the agent made, not archives. */
  const acceptObjectEvent = async (request: FastifyRequest, reply: FastifyReply, webhookId: string, body: ObjectEvent) => {
    const outcome = await objectIntake.accept({ webhookId, headers: recordedHeaders(request), rawBody: request.rawBody ?? '', body });
    deps.metrics.events.inc({ verdict: outcome.verdict });
    deps.log.info(
      { req_id: request.id, event_id: outcome.eventId, event_type: body.type, sync_id: outcome.syncId, job_ids: outcome.jobIds, verdict: outcome.verdict, reason: outcome.reason, lpath: body.data.logical_path },
      'event',
    );
    return reply.code(outcome.httpStatus).send({
      accepted: true,
      status: outcome.verdict,
      reason: outcome.reason,
      event_id: outcome.eventId,
      ...(outcome.syncId !== undefined ? { sync_id: outcome.syncId } : {}),
      ...(outcome.jobIds !== undefined ? { job_ids: outcome.jobIds } : {}),
    });
  };

  const accept = async (request: FastifyRequest, reply: FastifyReply, webhookId: string, body: EventBody) => {
    if (!deps.queues.isConnected()) throw new ServiceUnavailable('redis', 'the job queue (Redis) is unavailable; retry later');
    if (deps.schemaReady && !deps.schemaReady()) throw new ServiceUnavailable('postgresql', 'the database is not ready yet (migrating); retry later');
    if (isObjectEvent(body)) return acceptObjectEvent(request, reply, webhookId, body);
    const outcome = await intake.accept({ webhookId, headers: recordedHeaders(request), rawBody: request.rawBody ?? '', body });
    deps.metrics.events.inc({ verdict: outcome.verdict });
    // One line per decision; the routes' own access log is off (logLevel below).
    deps.log.info(
      { req_id: request.id, event_id: outcome.eventId, job_id: outcome.jobId, verdict: outcome.verdict, reason: outcome.reason, archive: body.data.logical_path },
      'event',
    );
    if (outcome.httpStatus === 202) {
      return reply
        .code(202)
        .header('location', `/v1/jobs/${outcome.jobId as string}`)
        .send({ accepted: true, status: 'accepted', job_id: outcome.jobId, event_id: outcome.eventId });
    }
    return reply
      .code(200)
      .send({ accepted: true, status: outcome.verdict, reason: outcome.reason, job_id: outcome.jobId ?? null, event_id: outcome.eventId });
  };

  const parseJson = async (request: FastifyRequest): Promise<void> => {
    try {
      request.body = JSON.parse(request.rawBody ?? '') as unknown;
    } catch (err) {
      throw new HttpError(400, 'malformed_json', `the body is not JSON: ${(err as Error).message}`);
    }
  };

  return async function register(app: FastifyInstance): Promise<void> {
    // Keep the raw text: the signature covers the exact bytes, not a re-serialisation.
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: deps.config.http.bodyLimitBytes }, (_req, body, done) => {
      done(null, body);
    });

    // The native rule's curl sends a form content type; the body is JSON all the same.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.config.http.bodyLimitBytes }, (_req, body, done) => {
      done(null, body);
    });

    // Every answer by status: a 503 (PostgreSQL or Redis down) is what an alert watches for.
    app.addHook('onResponse', async (_request, reply) => {
      deps.metrics.eventAnswers.inc({ status: String(reply.statusCode) });
    });

    app.addHook('onError', async (request, _reply, error) => {
      // The same status the error handler answers; the reason keeps the real message of a 5xx.
      const answer = errorAnswer(error, request, { log: false });
      await recordRejection(request, answer.status, `${answer.body.error}: ${answer.status >= 500 ? error.message : answer.body.message}`);
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      const answer = errorAnswer(err, request);
      return reply
        .code(answer.status)
        .headers(answer.headers)
        .send({ accepted: false, retryable: retryable(answer.status), ...answer.body });
    });

    const schema = {
      summary: 'Receive a signed event from the iRODS rules',
      description: 'Standard Webhooks signature required (webhook-id, webhook-timestamp, webhook-signature). See docs/events.md.',
      tags: ['events'],
      body: EventBody,
    };
    app.post(
      '/v1/events',
      {
        bodyLimit: deps.config.http.bodyLimitBytes,
        logLevel: 'warn',
        onRequest: requireJson,
        preValidation: [app.auth([verifySignature]), parseJson],
        schema,
        validatorCompiler: validatorFor(EventBody),
      },
      (request, reply) => accept(request, reply, request.webhookId as string, request.body as EventBody),
    );

    if (deps.config.webhook.nativeRuleTokens.length) {
      app.post(
        NATIVE_ROUTE,
        {
          bodyLimit: deps.config.http.bodyLimitBytes,
          logLevel: 'warn',
          preValidation: [app.auth([verifyNativeToken]), parseJson],
          validatorCompiler: validatorFor(NativeEventBody),
          schema: {
            ...schema,
            summary: 'Receive an event from the earlier native-language rule (shared token; deprecated)',
            description:
              'Deprecated: the native rule now marks archives, which the agent polls. X-Agent-Token required; enabled only with AGENT_NATIVE_RULE_TOKENS. See docs/events.md.',
            deprecated: true,
            body: NativeEventBody,
          },
        },
        (request, reply) => {
          const { id, ...event } = request.body as NativeEventBody;
          return accept(request, reply, `native:${id}`, event);
        },
      );
    }
  };
}
