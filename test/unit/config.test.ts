import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, describeConfig, describeUnknownSetting, loadConfig, unknownSettings } from '../../src/config/index.js';

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const cfg = loadConfig({});
    expect(cfg.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/irods_omero_agent');
    expect(cfg.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(cfg.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(cfg.irods.baseUrl).toBe('http://127.0.0.1:9000/irods-http-api/0.7.0');
    expect(cfg.watch.archiveSuffixes).toEqual(['.zip', '.tar', '.tar.gz', '.tgz']);
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.irods)).toBe(true);
    expect(cfg.nativeMarks.pollSeconds).toBe(15);
  });

  it('takes AGENT_MARK_POLL_SECONDS from 0 (off) to a day', () => {
    expect(loadConfig({ AGENT_MARK_POLL_SECONDS: '0' }).nativeMarks.pollSeconds).toBe(0);
    expect(() => loadConfig({ AGENT_MARK_POLL_SECONDS: '-1' })).toThrow(/AGENT_MARK_POLL_SECONDS/);
    expect(() => loadConfig({ AGENT_MARK_POLL_SECONDS: '86401' })).toThrow(/AGENT_MARK_POLL_SECONDS/);
  });

  it('parses lists, roles and trailing slashes', () => {
    const cfg = loadConfig({
      AGENT_WEBHOOK_SECRETS: `${secret} ${secret}`,
      AGENT_ADMIN_TOKENS: 'reader:aaaaaaaaaaaaaaaa operator:bbbbbbbbbbbbbbbb cccccccccccccccc',
      AGENT_WATCH: '/tempZone/home/lab/ /tempZone/projects',
      IRODS_HTTP_API_URL: 'http://irods:9000/irods-http-api/0.7.0/',
    });
    expect(cfg.webhook.secrets).toHaveLength(2);
    expect(cfg.admin.tokens.map((t) => t.role)).toEqual(['reader', 'operator', 'operator']);
    expect(cfg.watch.prefixes).toEqual(['/tempZone/home/lab', '/tempZone/projects']);
    expect(cfg.irods.baseUrl).toBe('http://irods:9000/irods-http-api/0.7.0');
  });

  it('takes the target resource and the logical quotas namespace, or the server default and the plugin default', () => {
    expect(loadConfig({}).irods).toMatchObject({ targetResource: undefined, logicalQuotasNamespace: 'irods::logical_quotas' });
    const cfg = loadConfig({ AGENT_TARGET_RESOURCE: 'replResc', AGENT_LOGICAL_QUOTAS_NAMESPACE: 'site::quotas' });
    expect(cfg.irods).toMatchObject({ targetResource: 'replResc', logicalQuotasNamespace: 'site::quotas' });
    expect(() => loadConfig({ AGENT_TARGET_RESOURCE: 'two words' })).toThrow(/^AGENT_TARGET_RESOURCE: must be the name of a root resource/);
    expect(() => loadConfig({ AGENT_TARGET_RESOURCE: 'repl;ufs0' })).toThrow(/^AGENT_TARGET_RESOURCE:/);
    expect(() => loadConfig({ AGENT_TARGET_RESOURCE: 'r'.repeat(64) })).toThrow(/^AGENT_TARGET_RESOURCE:/);
  });

  it('names the offending variable when a value is invalid', () => {
    expect(() => loadConfig({ AGENT_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ AGENT_PORT: 'eighty' })).toThrow(/^AGENT_PORT:/);
    expect(() => loadConfig({ AGENT_WATCH: 'relative/path' })).toThrow(/^AGENT_WATCH: must be an absolute/);
    expect(() => loadConfig({ AGENT_WEBHOOK_SECRETS: 'hunter2' })).toThrow(/^AGENT_WEBHOOK_SECRETS:/);
    expect(() => loadConfig({ IRODS_WRITE_CHUNK_BYTES: String(16 * 1024 * 1024) })).toThrow(/^IRODS_WRITE_CHUNK_BYTES:/);
  });

  it('reads secrets from <NAME>_FILE and settings from AGENT_CONFIG_FILE, the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioa-config-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'agent.yaml'), 'AGENT_PORT: 9999\nAGENT_WATCH:\n  - /tempZone/a\n  - /tempZone/b\nAGENT_HOST: 0.0.0.0\n');
    const cfg = loadConfig({ IRODS_PASSWORD_FILE: join(dir, 'pw'), AGENT_CONFIG_FILE: join(dir, 'agent.yaml'), AGENT_HOST: '127.0.0.2' });
    expect(cfg.irods.password).toBe('s3cret');
    expect(cfg.http).toMatchObject({ port: 9999, host: '127.0.0.2' });
    expect(cfg.watch.prefixes).toEqual(['/tempZone/a', '/tempZone/b']);
    expect(() => loadConfig({ IRODS_PASSWORD_FILE: join(dir, 'missing') })).toThrow(/^IRODS_PASSWORD_FILE: cannot read/);
  });

  it('masks every secret when described, and warns about settings that leave the agent idle', () => {
    const cfg = loadConfig({
      AGENT_DATABASE_URL: 'postgres://agent:pgpass@db:5432/agent',
      AGENT_WEBHOOK_SECRETS: secret,
      AGENT_ADMIN_TOKENS: 'operator:bbbbbbbbbbbbbbbb',
      IRODS_PASSWORD: 'rods-password',
    });
    const text = JSON.stringify(describeConfig(cfg));
    for (const s of ['pgpass', secret, 'bbbbbbbbbbbbbbbb', 'rods-password']) expect(text).not.toContain(s);
    expect(configWarnings(cfg)).toEqual(['AGENT_WATCH is empty: every event will be ignored (no watched collection)']);
  });

  it('says what a number must be and what was given, in words a person reads', () => {
    expect(() => loadConfig({ AGENT_PORT: 'abc' })).toThrow("AGENT_PORT: must be an integer 0-65535, got 'abc'");
    expect(() => loadConfig({ AGENT_PORT: '70000' })).toThrow("AGENT_PORT: must be an integer 0-65535, got '70000'");
    expect(() => loadConfig({ AGENT_MAX_ENTRIES: '0' })).toThrow("AGENT_MAX_ENTRIES: must be an integer of at least 1, got '0'");
    expect(() => loadConfig({ AGENT_LOG_LEVEL: 'loud' })).toThrow(/^AGENT_LOG_LEVEL: must be one of fatal, error, .*, got 'loud'$/);
    expect(() => loadConfig({ IRODS_ADMIN_MODE: 'maybe' })).toThrow(/^IRODS_ADMIN_MODE: must be one of .*true.*, got 'maybe'$/);
    expect(loadConfig({ AGENT_PORT: '8081' }).http.port).toBe(8081);
  });

  it('never repeats a value that may be a secret in its message', () => {
    expect(() => loadConfig({ AGENT_WEBHOOK_SECRETS: 'hunter2-hunter2' })).toThrow(/^AGENT_WEBHOOK_SECRETS: must be a Standard Webhooks secret/);
    expect(() => loadConfig({ AGENT_WEBHOOK_SECRETS: 'hunter2-hunter2' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ AGENT_DATABASE_URL: 'mysql://u:pw@db/x' })).not.toThrow(/pw@/);
  });
});

describe('unknownSettings', () => {
  it('names a misspelled AGENT_* variable and the setting it most likely meant; other prefixes are left alone', () => {
    const found = unknownSettings({ AGENT_WACH: '/tempZone/home', AGENT_PORT: '1', IRODS_HOST: 'icat', AGENT_FROBNICATE_EVERYTHING: 'x' });
    expect(found).toEqual([
      { name: 'AGENT_FROBNICATE_EVERYTHING', source: 'environment', suggestion: undefined },
      { name: 'AGENT_WACH', source: 'environment', suggestion: 'AGENT_WATCH' },
    ]);
    expect(describeUnknownSetting(found[1] as (typeof found)[number])).toBe('AGENT_WACH in the environment is not a setting of the agent: did you mean AGENT_WATCH?');
    expect(unknownSettings({ AGENT_WEBHOOK_SECRETS_FILE: '/x', AGENT_CONFIG_FILE: '' })).toEqual([]);
  });

  it('checks every key of AGENT_CONFIG_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioa-config-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'AGENT_PORT: 9999\nIRODS_USERNAM: rods\n');
    expect(unknownSettings({ AGENT_CONFIG_FILE: file })).toEqual([{ name: 'IRODS_USERNAM', source: file, suggestion: 'IRODS_USERNAME' }]);
  });
});
