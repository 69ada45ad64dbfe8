import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { PipelineQueues } from '../../pipeline/queues.js';
import { browserAdminHook, type AdminTokens } from './admin-auth.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The only fields a step job carries (queues.ts StepJobData); anything else is not shown. */
const SHOWN_DATA_FIELDS = ['jobId', 'run', 'step'] as const;

/** Job data as the dashboard shows it: the known pointer fields only, whatever a job holds. */
export function redactJobData(data: unknown): Record<string, unknown> {
  if (!data || typeof data !== 'object') return {};
  const source = data as Record<string, unknown>;
  const shown: Record<string, unknown> = {};
  for (const key of SHOWN_DATA_FIELDS) if (key in source) shown[key] = source[key];
  return shown;
}

/** Stylesheet links to another origin (bull-board's page asks Google Fonts for Ubuntu). */
const EXTERNAL_STYLESHEET = /<link\b[^>]*\bhref="https?:\/\/[^"]*"[^>]*>\s*/gi;

/**
 * The page may load nothing from outside the agent: air-gapped sites would wait on the request,
 * and every other site would tell Google who opens its dashboard. The font falls back to the
 * system's sans-serif; the policy keeps any later bull-board version honest too.
 */
const DASHBOARD_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'";

export function withoutExternalAssets(html: string): string {
  return html.replace(EXTERNAL_STYLESHEET, '');
}

/**
 * bull-board at /admin/queues, behind the admin tokens (a reader may view). Browsers send the
 * token as the password of HTTP Basic (any user name): a 401 carries a Basic challenge so the
 * browser asks. Read-only for everyone: BullMQ's retry/clean/remove would bypass PostgreSQL,
 * the source of truth; replays and cancels go through the admin API, which records them.
 */
export function bullBoardRoutes(deps: { readonly queues: PipelineQueues; readonly tokens: AdminTokens }) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', browserAdminHook(deps.tokens, 'reader'));
    app.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        await reply.code(405).header('allow', 'GET, HEAD').send({ error: 'read_only', message: 'the queue dashboard is read-only; use the admin API to replay or cancel' });
      }
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type !== 'string' || !type.startsWith('text/html')) return payload;
      reply.header('content-security-policy', DASHBOARD_CSP);
      return typeof payload === 'string' ? withoutExternalAssets(payload) : payload;
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({
      queues: deps.queues.all().map((queue) => {
        const adapter = new BullMQAdapter(queue, { readOnlyMode: true, description: `pipeline step ${queue.name}` });
        adapter.setFormatter('data', redactJobData);
        return adapter;
      }),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'irods-omero-agent' } },
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  };
}
