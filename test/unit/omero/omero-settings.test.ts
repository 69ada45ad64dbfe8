import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

describe('the OMERO settings', () => {
  it('refuses ln_s without OMERO_IRODS_MOUNT, naming the variable', () => {
    expect(() => loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s' })).toThrow(ConfigError);
    expect(() => loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s' })).toThrow(/^OMERO_IRODS_MOUNT: required with OMERO_MODE=ln_s/);
    expect(loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: '/mnt/irods/' }).omero.irodsMount).toBe('/mnt/irods');
  });

  it('gives the CLI the tools it needs from the environment, never the agent secrets', () => {
    const config = loadConfig({
      PATH: '/usr/bin',
      HOME: '/home/agent',
      JAVA_HOME: '/opt/java',
      IRODS_PASSWORD: 'irods-secret',
      AGENT_WEBHOOK_SECRETS: '',
      OMERO_PASSWORD: 'omero-secret',
      SOME_TOKEN: 'other',
      SITE_PROXY: 'http://proxy:3128',
      OMERO_CLI_ENV: 'SITE_PROXY',
    });
    expect(config.omero.cliEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/agent', JAVA_HOME: '/opt/java', SITE_PROXY: 'http://proxy:3128' });
  });

  it('refuses to pass the agent settings or the OMERO password through OMERO_CLI_ENV', () => {
    expect(() => loadConfig({ OMERO_CLI_ENV: 'IRODS_PASSWORD' })).toThrow(/^OMERO_CLI_ENV: must not name/);
    expect(() => loadConfig({ OMERO_CLI_ENV: 'OMERO_PASSWORD' })).toThrow(/^OMERO_CLI_ENV: must not name/);
  });

  it('has defaults an OMERO admin can live with', () => {
    const o = loadConfig({}).omero;
    expect(o).toMatchObject({ enabled: false, mode: 'upload', merge: true, onReplay: 'keep', timeoutSeconds: 21_600, queryTimeoutSeconds: 300, skip: undefined });
  });
});
