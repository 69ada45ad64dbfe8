import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TEST_READER_TOKEN, landedEvent, randomName, startTestAgent, type TestAgent } from '../../support/agent.js';

let agent: TestAgent;
let jobId: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` });

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${agent.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

beforeAll(async () => {
  agent = await startTestAgent({ label: 'admin_auth' });
  const res = await agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('auth')}.zip`, { size: 10, checksum: 'sha2:a' }));
  jobId = res.json.job_id as string;
});
afterAll(async () => {
  await agent?.close();
});

describe('admin API authentication', () => {
  const reads = () => ['/v1/jobs', `/v1/jobs/${jobId}`, `/v1/jobs/${jobId}/audit`, '/v1/archives'];
  const operatorActions = () => [
    { path: `/v1/jobs/${jobId}/replay`, body: {} },
    { path: '/v1/jobs/replay', body: { dry_run: true } },
    { path: `/v1/jobs/${jobId}/cancel`, body: {} },
  ];

  it('refuses every admin route without a token, or with a wrong one: 401 with a Bearer challenge', async () => {
    for (const path of reads()) {
      for (const headers of [{}, bearer('not-a-configured-token-at-all'), { authorization: 'Token abc' }]) {
        const res = await call(path, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
        expect(res.json.error).toBe('unauthorized');
      }
    }
    for (const { path, body } of operatorActions()) {
      expect((await call(path, { method: 'POST', body })).status).toBe(401);
      expect((await call(path, { method: 'POST', body, headers: bearer(`${TEST_OPERATOR_TOKEN}x`) })).status).toBe(401);
    }
  });

  it('lets a reader read, and refuses a reader replaying or cancelling with 403 (nothing changes)', async () => {
    for (const path of reads()) expect((await call(path, { headers: bearer(TEST_READER_TOKEN) })).status, path).toBe(200);
    for (const { path, body } of operatorActions()) {
      const res = await call(path, { method: 'POST', body, headers: bearer(TEST_READER_TOKEN) });
      expect(res.status, path).toBe(403);
      expect(res.json.error).toBe('forbidden');
    }
    const { rows } = await agent.db.pool.query('SELECT state, cancel_requested FROM jobs WHERE id = $1', [jobId]);
    expect(rows[0]).toEqual({ state: 'queued', cancel_requested: false });
    const actions = await agent.db.pool.query('SELECT count(*)::int AS n FROM admin_actions');
    expect(actions.rows[0].n).toBe(0);
  });

  it('lets an operator read too, and records the operator by a token fingerprint, never the token', async () => {
    expect((await call('/v1/jobs', { headers: bearer(TEST_OPERATOR_TOKEN) })).status).toBe(200);
    const dry = await call('/v1/jobs/replay', { method: 'POST', body: { dry_run: true }, headers: bearer(TEST_OPERATOR_TOKEN) });
    expect(dry.status).toBe(200);
    const cancelled = await call(`/v1/jobs/${jobId}/cancel`, { method: 'POST', headers: bearer(TEST_OPERATOR_TOKEN) });
    expect(cancelled.status).toBe(200);
    const { rows } = await agent.db.pool.query('SELECT actor, detail::text AS detail FROM admin_actions WHERE job_id = $1', [jobId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toMatch(/^operator:[0-9a-f]{8}$/);
    expect(JSON.stringify(rows)).not.toContain(TEST_OPERATOR_TOKEN);
  });

  it('answers 404 for an unknown job and 400 for a malformed id or cursor', async () => {
    const unknown = await call(`/v1/jobs/${randomUUID()}`, { headers: bearer(TEST_READER_TOKEN) });
    expect(unknown.status).toBe(404);
    expect((await call('/v1/jobs/not-a-uuid', { headers: bearer(TEST_READER_TOKEN) })).status).toBe(400);
    const cursor = await call('/v1/jobs?cursor=bm90LWEtY3Vyc29y', { headers: bearer(TEST_READER_TOKEN) });
    expect(cursor.status).toBe(400);
    expect(cursor.json.error).toBe('invalid_cursor');
  });
});

describe('queue dashboard (/admin/queues)', () => {
  it('asks a browser for the token with a Basic challenge and lets a reader view', async () => {
    const anonymous = await call('/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await call('/admin/queues', { headers: basic('wrong-token-0123456789') })).status).toBe(401);
    const page = await call('/admin/queues', { headers: basic(TEST_READER_TOKEN) });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>irods-omero-agent</title>');
    expect((await call('/admin/queues/api/queues', { headers: bearer(TEST_READER_TOKEN) })).status).toBe(200);
  });

  it('loads nothing from outside the agent (no web fonts: air-gapped sites), and says so in its policy', async () => {
    const page = await call('/admin/queues', { headers: basic(TEST_READER_TOKEN) });
    expect(page.status).toBe(200);
    const assets = [...page.text.matchAll(/<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((a) => /^(https?:)?\/\//.test(a ?? ''))).toEqual([]);
    expect(page.text).not.toContain('fonts.googleapis.com');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('is read-only for everyone, operators included', async () => {
    const res = await call('/admin/queues/api/queues/inspect/retry/failed', { method: 'PUT', headers: basic(TEST_OPERATOR_TOKEN) });
    expect(res.status).toBe(405);
    const queues = await call('/admin/queues/api/queues', { headers: bearer(TEST_OPERATOR_TOKEN) });
    const listed = queues.json.queues as { name: string; readOnlyMode: boolean }[];
    expect(listed.map((q) => q.name).sort()).toEqual(['expand', 'finalize', 'inspect', 'metadata', 'omero', 'permissions', 'unregister']);
    expect(listed.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('shows only the ids a step job carries', async () => {
    // A job that somehow carried more (a future field, a mistake) still shows only the pointers.
    await agent.queues.queue('inspect').add('inspect', { jobId: randomUUID(), run: 1, step: 'inspect', secret: 'do-not-show' } as never, {
      jobId: `extra-${randomUUID()}`,
      delay: 3_600_000,
    });
    const res = await call('/admin/queues/api/queues?activeQueue=inspect&status=delayed&page=1', { headers: bearer(TEST_READER_TOKEN) });
    expect(res.status).toBe(200);
    const inspect = (res.json.queues as { name: string; jobs: { data: Record<string, unknown> }[] }[]).find((q) => q.name === 'inspect');
    expect(inspect?.jobs.length).toBeGreaterThan(0);
    for (const job of inspect?.jobs ?? []) expect(Object.keys(job.data).sort()).toEqual(['jobId', 'run', 'step']);
    expect(res.text).not.toContain('do-not-show');
  });
});

describe('OpenAPI and metrics', () => {
  it('serves the OpenAPI document at /docs without a token, generated from the route schemas', async () => {
    const res = await call('/docs/json');
    expect(res.status).toBe(200);
    const paths = res.json.paths as Record<string, Record<string, { security?: unknown; tags?: string[] }>>;
    for (const path of ['/v1/events', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/replay', '/v1/jobs/replay', '/v1/jobs/{id}/cancel', '/v1/archives', '/metrics']) {
      expect(paths[path], path).toBeDefined();
    }
    expect(paths['/v1/jobs']?.get?.security).toEqual([{ adminToken: [] }]);
    expect(paths['/v1/events']?.post?.tags).toEqual(['events']);
    expect(Object.keys(paths).some((p) => p.startsWith('/admin/queues'))).toBe(false);
    const ui = await call('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text.toLowerCase()).toContain('swagger');
  });

  it('serves /metrics openly by default, with queue depths and jobs by state sampled at scrape time', async () => {
    await agent.postEvent(landedEvent(`/tempZone/home/alice/${randomName('metrics')}.zip`, { size: 1, checksum: 'sha2:m' }));
    const res = await call('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/^ioa_queue_jobs\{queue="inspect",state="waiting"\} [1-9]/m);
    expect(res.text).toMatch(/^ioa_jobs\{state="queued",step="inspect"\} [1-9]/m);
    expect(res.text).toMatch(/^ioa_jobs\{state="cancelled",step="inspect"\} 1$/m);
    expect(res.text).toMatch(/^ioa_events_total\{verdict="accepted"\} [1-9]/m);
    expect(res.text).toContain('ioa_jobs_stuck 0');
    expect(res.text).toContain('# TYPE ioa_irods_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE ioa_step_duration_seconds histogram');
  });

  it('requires AGENT_METRICS_TOKEN (or an admin token) on /metrics once it is set', async () => {
    const metricsToken = 'metrics-token-0123456789';
    const guarded = await startTestAgent({ label: 'admin_metrics', env: { AGENT_METRICS_TOKEN: metricsToken } });
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: bearer('wrong-token-0123456789') })).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: bearer(metricsToken) })).status).toBe(200);
      expect((await fetch(`${guarded.url}/metrics`, { headers: bearer(TEST_READER_TOKEN) })).status).toBe(200);
      // The metrics token is not an admin token.
      expect((await fetch(`${guarded.url}/v1/jobs`, { headers: bearer(metricsToken) })).status).toBe(401);
    } finally {
      await guarded?.close();
    }
  });
});
