import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { PipelineQueues } from '../../pipeline/queues.js';

async function postgresReady(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** /healthz: the process answers. /readyz: PostgreSQL and Redis answer too (503 otherwise). */
export function healthRoutes(deps: { pool: pg.Pool; queues: PipelineQueues }) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Probes call these every few seconds: their access log at info would bury every other line.
    const probe = { logLevel: 'warn' as const };
    app.get('/healthz', { ...probe, schema: { summary: 'Liveness: the process answers', tags: ['operations'] } }, () => ({ status: 'ok' }));
    app.get('/readyz', { ...probe, schema: { summary: 'Readiness: PostgreSQL and Redis answer (503 otherwise)', tags: ['operations'] } }, async (_request, reply) => {
      const [postgresql, redis] = await Promise.all([postgresReady(deps.pool), deps.queues.ping()]);
      const ready = postgresql && redis;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { postgresql, redis } });
    });
  };
}
