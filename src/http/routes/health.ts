import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { IrodsClient } from '../../irods/types.js';
import type { PipelineQueues } from '../../pipeline/queues.js';
import { pingDatabase } from '../../store/index.js';

/** How long one iRODS login check answers /readyz: probes must not each cost an iRODS request. */
const IRODS_CHECK_CACHE_MS = 5_000;

export interface HealthDeps {
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  /** Whether the schema is in place (false until the start-up migration has run). Default: yes. */
  readonly schemaReady?: (() => boolean) | undefined;
  /** The agent's iRODS client, when it has one: /readyz then says whether iRODS accepts its login. */
  readonly irods?: IrodsClient | undefined;
  readonly irodsZone?: string | undefined;
}

type Check = { ok: true } | { ok: false; problem: string };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function postgresCheck(deps: HealthDeps): Promise<Check> {
  try {
    await pingDatabase(deps.pool);
  } catch (err) {
    return { ok: false, problem: `PostgreSQL does not answer: ${messageOf(err)}` };
  }
  return deps.schemaReady && !deps.schemaReady() ? { ok: false, problem: 'PostgreSQL answers; the schema is not migrated yet' } : { ok: true };
}

async function redisCheck(queues: PipelineQueues): Promise<Check> {
  return (await queues.ping()) ? { ok: true } : { ok: false, problem: 'Redis does not answer' };
}

/**
 * The iRODS login, checked with a request that needs it (a stat of the zone's root collection,
 * through the client's own session), at most once per IRODS_CHECK_CACHE_MS.
 */
function irodsCheck(irods: IrodsClient, zone: string): () => Promise<Check> {
  let cached: { at: number; check: Promise<Check> } | undefined;
  return () => {
    if (cached && Date.now() - cached.at < IRODS_CHECK_CACHE_MS) return cached.check;
    const check = irods.collections.stat(`/${zone}`).then(
      (): Check => ({ ok: true }),
      (err: unknown): Check => ({ ok: false, problem: messageOf(err) }),
    );
    cached = { at: Date.now(), check };
    return check;
  };
}

/**
 * /healthz: the process answers. /readyz: it can take events, i.e. PostgreSQL (with its schema)
 * and Redis answer (503 otherwise, naming what is missing in `problems`). iRODS is reported
 * too, but does not make the agent unready: events are still recorded while it is away or
 * refuses the agent's login, and their jobs wait for it (docs/operations.md).
 */
export function healthRoutes(deps: HealthDeps) {
  const irods = deps.irods && deps.irodsZone ? irodsCheck(deps.irods, deps.irodsZone) : undefined;
  return async function register(app: FastifyInstance): Promise<void> {
    // Probes call these every few seconds: their access log at info would bury every other line.
    const probe = { logLevel: 'warn' as const };
    app.get('/healthz', { ...probe, schema: { summary: 'Liveness: the process answers', tags: ['operations'] } }, () => ({ status: 'ok' }));
    app.get(
      '/readyz',
      { ...probe, schema: { summary: 'Readiness: PostgreSQL and Redis answer (503 otherwise); the iRODS login is reported too', tags: ['operations'] } },
      async (_request, reply) => {
        const [postgresql, redis, irodsLogin] = await Promise.all([postgresCheck(deps), redisCheck(deps.queues), irods?.()]);
        const checks: Record<string, boolean> = { postgresql: postgresql.ok, redis: redis.ok };
        const problems: Record<string, string> = {};
        for (const [name, check] of [['postgresql', postgresql], ['redis', redis], ['irods', irodsLogin]] as const) {
          if (!check) continue;
          checks[name] = check.ok;
          if (!check.ok) problems[name] = check.problem;
        }
        const ready = postgresql.ok && redis.ok;
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'unavailable', checks, ...(Object.keys(problems).length ? { problems } : {}) });
      },
    );
  };
}
