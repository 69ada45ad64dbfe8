import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { createIrodsClientFromConfig } from '../../src/cli/irods-from-config.js';
import { createLogger } from '../../src/logging/logger.js';

describe('createIrodsClientFromConfig', () => {
  const log = createLogger({ level: 'silent' });

  it('refuses to build a client without IRODS_PASSWORD', () => {
    expect(() => createIrodsClientFromConfig(loadConfig({}), log)).toThrow(ConfigError);
    try {
      createIrodsClientFromConfig(loadConfig({}), log);
    } catch (err) {
      expect((err as ConfigError).key).toBe('IRODS_PASSWORD');
    }
  });

  it('builds a client for the configured URL and account without touching the network', async () => {
    const client = createIrodsClientFromConfig(
      loadConfig({ IRODS_PASSWORD: 'pw', IRODS_USERNAME: 'agent', IRODS_HTTP_API_URL: 'http://irods.example:9000/irods-http-api/0.7.0/' }),
      log,
    );
    expect(client.baseUrl).toBe('http://irods.example:9000/irods-http-api/0.7.0');
    expect(client.username).toBe('agent');
    await client.close();
  });
});
