import type { Socket } from 'node:net';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';

/**
 * A stand-in for the agent's intake (`POST /v1/events`) while the real one is being built: it
 * verifies Standard Webhooks signatures with the `standardwebhooks` package and records every
 * request. Tests talk to it only through `url`, `requests` and `close()`, so swapping it for
 * the real agent (test/support/agent.ts, when it exists) changes only how it is started.
 */
export interface ReceivedRequest {
  readonly headers: Record<string, string>;
  readonly rawBody: string;
  /** The parsed body when the signature verified, otherwise undefined. */
  readonly event: unknown;
  readonly verifyError: string | undefined;
  /** The status this receiver answered. */
  readonly status: number;
}

export interface WebhookReceiver {
  /** Full URL of the events endpoint, e.g. http://127.0.0.1:40123/v1/events. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Requests that reached the handler, answered yet or not (a hung one counts at once). */
  arrivals(): number;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly secret: string;
  /** Status to answer for the n-th request (0-based) that verified; 202 by default. */
  readonly respond?: (n: number) => number;
  /** True to hold the n-th request (0-based, any request) unanswered until close(): a hung agent. */
  readonly hang?: (n: number) => boolean;
}

export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const webhook = new Webhook(options.secret);
  const requests: ReceivedRequest[] = [];
  let verified = 0;
  let arrived = 0;
  const app = Fastify({ logger: false });
  const sockets = new Set<Socket>();
  let releaseHung: () => void = () => undefined;
  const hungReleased = new Promise<void>((resolve) => {
    releaseHung = resolve;
  });
  // The signature covers the exact bytes sent: keep the body as a string.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/v1/events', async (req, reply) => {
    if (options.hang?.(arrived++) === true) await hungReleased;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const rawBody = typeof req.body === 'string' ? req.body : '';
    let event: unknown;
    let verifyError: string | undefined;
    try {
      event = webhook.verify(rawBody, headers);
    } catch (err) {
      verifyError = err instanceof Error ? err.message : String(err);
    }
    const status = verifyError ? 401 : (options.respond?.(verified++) ?? 202);
    requests.push({ headers, rawBody, event, verifyError, status });
    return reply.code(status).send(status < 300 ? { job_id: `job-${requests.length}` } : { error: 'stand-in refusal' });
  });
  // Hung requests must not keep close() waiting for them.
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver did not get a TCP port');
  return {
    url: `http://127.0.0.1:${address.port}/v1/events`,
    requests,
    arrivals: () => arrived,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      releaseHung();
      await app.close();
    },
  };
}
