import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { resolveClientSettings } from '../../../src/cli/admin-client.js';
import { parseWhen } from '../../../src/cli/jobs-command.js';
import { progressText } from '../../../src/cli/jobs-format.js';
import { ProgressTracker, frameText } from '../../../src/cli/jobs-watch.js';
import { loadConfig } from '../../../src/config/index.js';
import { AdminTokens, checkAdmin, presentedToken, tokenFingerprint } from '../../../src/http/plugins/admin-auth.js';
import { redactJobData } from '../../../src/http/plugins/bull-board.js';
import { decodeCursor, encodeCursor, isStuck } from '../../../src/http/routes/admin-views.js';
import { ReplayRefused, replayStart } from '../../../src/pipeline/replay.js';

const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as unknown as FastifyRequest;
const OPERATOR = 'operator-token-0123456789';
const READER = 'reader-token-0123456789ab';

describe('admin tokens', () => {
  const tokens = new AdminTokens([
    { role: 'operator', token: OPERATOR },
    { role: 'reader', token: READER },
  ]);

  it('knows each token by its role and a fingerprint that is not the token', () => {
    expect(tokens.identify(OPERATOR)).toEqual({ role: 'operator', actor: `operator:${tokenFingerprint(OPERATOR)}` });
    expect(tokens.identify(READER)?.role).toBe('reader');
    expect(tokens.identify(`${OPERATOR}x`)).toBeUndefined();
    expect(tokens.identify('')).toBeUndefined();
    expect(tokenFingerprint(OPERATOR)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reads Bearer and Basic (the token as the password) and nothing else', () => {
    expect(presentedToken(request(`Bearer ${OPERATOR}`))).toBe(OPERATOR);
    expect(presentedToken(request(`bearer   ${OPERATOR} `))).toBe(OPERATOR);
    expect(presentedToken(request(`Basic ${Buffer.from(`anyone:${READER}`).toString('base64')}`))).toBe(READER);
    expect(presentedToken(request(`Basic ${Buffer.from('anyone:').toString('base64')}`))).toBeUndefined();
    expect(presentedToken(request(`Token ${OPERATOR}`))).toBeUndefined();
    expect(presentedToken(request())).toBeUndefined();
  });

  it('answers 401 without or with a wrong token and 403 for a reader doing an operator action', () => {
    expect(checkAdmin(tokens, request(), 'reader')).toMatchObject({ ok: false, status: 401 });
    expect(checkAdmin(tokens, request('Bearer nope-nope-nope-nope'), 'reader')).toMatchObject({ ok: false, status: 401 });
    expect(checkAdmin(tokens, request(`Bearer ${READER}`), 'operator')).toMatchObject({ ok: false, status: 403 });
    expect(checkAdmin(tokens, request(`Bearer ${READER}`), 'reader')).toMatchObject({ ok: true });
    expect(checkAdmin(tokens, request(`Bearer ${OPERATOR}`), 'reader')).toMatchObject({ ok: true });
    expect(checkAdmin(new AdminTokens([]), request(`Bearer ${OPERATOR}`), 'reader')).toMatchObject({ ok: false, status: 401 });
  });
});

describe('replayStart', () => {
  const config = loadConfig({});
  const at = (state: 'failed' | 'cancelled' | 'succeeded' | 'queued' | 'running', step: string, from?: string) => replayStart(config, { state, step }, from);

  it('starts where a failed or cancelled job stopped, and a succeeded job from the beginning', () => {
    expect(at('failed', 'expand')).toBe('expand');
    expect(at('cancelled', 'permissions')).toBe('permissions');
    expect(at('succeeded', 'finalize')).toBe('inspect');
    expect(at('failed', 'expand', 'inspect')).toBe('inspect');
    expect(at('succeeded', 'finalize', 'metadata')).toBe('metadata');
  });

  it('refuses unfinished jobs, unknown or disabled steps, and steps after the one that failed', () => {
    const code = (r: unknown) => (r instanceof ReplayRefused ? r.code : r);
    expect(code(at('running', 'expand'))).toBe('not_replayable');
    expect(code(at('queued', 'inspect'))).toBe('not_replayable');
    expect(code(at('failed', 'expand', 'unpack'))).toBe('unknown_step');
    expect(code(at('failed', 'finalize', 'omero'))).toBe('step_disabled');
    expect(code(at('failed', 'expand', 'metadata'))).toBe('step_after_stop');
  });
});

describe('views', () => {
  it('calls a queued or running job stuck only when it has not changed for long, and not while it waits out its debounce', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const old = new Date(now - 7200_000);
    expect(isStuck({ state: 'running', updated_at: old, not_before: null }, 3600, now)).toBe(true);
    expect(isStuck({ state: 'queued', updated_at: old, not_before: new Date(now + 1000) }, 3600, now)).toBe(false);
    expect(isStuck({ state: 'failed', updated_at: old, not_before: null }, 3600, now)).toBe(false);
    expect(isStuck({ state: 'running', updated_at: new Date(now - 10_000), not_before: null }, 3600, now)).toBe(false);
  });

  it('round-trips its own cursors and refuses anything else', () => {
    const read = (raw: Record<string, unknown>) => (typeof raw.s === 'number' ? raw.s : undefined);
    expect(decodeCursor(encodeCursor({ s: 42 }), read)).toBe(42);
    expect(() => decodeCursor('garbage!', read)).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from('{"v":2,"s":1}').toString('base64url'), read)).toThrow(/cursor/);
  });

  it('shows only the pointer fields of a BullMQ job', () => {
    expect(redactJobData({ jobId: 'j', run: 2, step: 'expand', password: 'x' })).toEqual({ jobId: 'j', run: 2, step: 'expand' });
    expect(redactJobData('text')).toEqual({});
  });
});

describe('CLI helpers', () => {
  it('reads relative and absolute times', () => {
    const now = Date.parse('2026-01-31T12:00:00Z');
    expect(parseWhen('2h', now)).toBe('2026-01-31T10:00:00.000Z');
    expect(parseWhen('30m', now)).toBe('2026-01-31T11:30:00.000Z');
    expect(parseWhen('7d', now)).toBe('2026-01-24T12:00:00.000Z');
    expect(parseWhen('2026-01-02', now)).toBe('2026-01-02T00:00:00.000Z');
    expect(parseWhen('2026-01-02T03:04:05+02:00', now)).toBe('2026-01-02T01:04:05.000Z');
    expect(() => parseWhen('yesterday', now)).toThrow(/expected a time/);
  });

  it('finds the agent and a token: flags, then AGENT_URL / AGENT_ADMIN_TOKEN, then the agent host settings', () => {
    const onHost = loadConfig({ AGENT_HOST: '0.0.0.0', AGENT_PORT: '9090', AGENT_ADMIN_TOKENS: `reader:${READER} operator:${OPERATOR}` });
    expect(resolveClientSettings(onHost, {})).toEqual({ url: 'http://127.0.0.1:9090', token: OPERATOR });
    const remote = loadConfig({ AGENT_URL: 'https://agent.example.org/', AGENT_ADMIN_TOKEN: READER });
    expect(resolveClientSettings(remote, {})).toEqual({ url: 'https://agent.example.org', token: READER });
    expect(resolveClientSettings(remote, { url: 'http://other:1', token: OPERATOR })).toEqual({ url: 'http://other:1', token: OPERATOR });
    expect(() => resolveClientSettings(loadConfig({}), {})).toThrow(/no admin token/);
  });

  it('tracks rate and ETA over recent polls, and starts over when progress goes back', () => {
    const tracker = new ProgressTracker();
    const job = (bytesDone: number) => ({
      state: 'running' as const,
      step: 'expand',
      progress: { entries_done: bytesDone / 100, entries_total: 100, bytes_done: bytesDone, bytes_total: 10_000 },
    });
    const t0 = 1_000_000;
    expect(tracker.frame(job(0), t0).rate).toBeNull();
    const f = tracker.frame(job(2_000), t0 + 2_000);
    expect(f.rate).toBe(1_000);
    expect(f.etaSeconds).toBe(8);
    expect(frameText(f)).toBe('running expand, 20/100 entries, 2 KiB/9.8 KiB, 1000 bytes/s, ETA 8.0s');
    expect(tracker.frame(job(500), t0 + 3_000).rate).toBeNull();
  });

  it('on a tar (no entry count until its end) shows counts without "?" and no ETA from the archive size', () => {
    const tracker = new ProgressTracker();
    // inspect knows only the archive's size; a .tar.gz expands to more than that.
    const job = (entries: number, bytesDone: number) => ({
      state: 'running' as const,
      step: 'expand',
      progress: { entries_done: entries, entries_total: null, bytes_done: bytesDone, bytes_total: 1_000 },
    });
    const t0 = 1_000_000;
    tracker.frame(job(0, 0), t0);
    const f = tracker.frame(job(12, 3_072), t0 + 3_000);
    expect(f).toMatchObject({ totalsKnown: false, etaSeconds: null, bytesTotal: null });
    expect(frameText(f)).toBe('running expand, 12 entries, 3 KiB, 1 KiB/s');
    expect(frameText(f)).not.toContain('?');
    expect(progressText(job(12, 3_072).progress)).toBe('12 entries, 3 KiB');
  });
});
