import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, defaultOmeroServer, loadConfig } from '../../../src/config/index.js';
import { mountedPath } from '../../../src/omero/index.js';

describe('the OMERO settings', () => {
  it('refuses ln_s without OMERO_IRODS_MOUNT, naming the variable', () => {
    expect(() => loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s' })).toThrow(ConfigError);
    expect(() => loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s' })).toThrow(/^OMERO_IRODS_MOUNT: required with OMERO_MODE=ln_s/);
    expect(loadConfig({ OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: '/mnt/irods/' }).omero.servers[0]?.irodsMount).toBe('/mnt/irods');
  });

  it('knows which collection the mount shows (NFSRODS irods_mount_point): the zone unless told, checked against it', () => {
    const mount = { OMERO_ENABLED: 'true', OMERO_MODE: 'ln_s', OMERO_IRODS_MOUNT: '/mnt/irods' } as const;
    expect(loadConfig(mount).omero.servers[0]?.irodsMountCollection).toBe('/tempZone');
    expect(loadConfig({ ...mount, IRODS_ZONE: 'labZone' }).omero.servers[0]?.irodsMountCollection).toBe('/labZone');
    expect(loadConfig({ ...mount, OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home/' }).omero.servers[0]?.irodsMountCollection).toBe('/tempZone/home');
    expect(() => loadConfig({ ...mount, OMERO_IRODS_MOUNT_COLLECTION: 'tempZone/home' })).toThrow(/^OMERO_IRODS_MOUNT_COLLECTION: must be an absolute iRODS logical path/);
    expect(() => loadConfig({ ...mount, OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home/../x' })).toThrow(/^OMERO_IRODS_MOUNT_COLLECTION: must not hold \. or \.\. segments/);
    expect(() => loadConfig({ ...mount, OMERO_IRODS_MOUNT_COLLECTION: '/home' })).toThrow(/^OMERO_IRODS_MOUNT_COLLECTION: must be \/tempZone or a collection under it/);
    expect(() => loadConfig({ ...mount, OMERO_IRODS_MOUNT_COLLECTION: '/tempZoneB' })).toThrow(ConfigError);
    expect(() => loadConfig({ OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home' })).toThrow(/^OMERO_IRODS_MOUNT_COLLECTION: only means something with OMERO_IRODS_MOUNT/);
  });

  it('warns in config check when watched collections lie outside what the mount shows', () => {
    const base = { OMERO_ENABLED: 'true', OMERO_PASSWORD: 'x', OMERO_IRODS_MOUNT: '/mnt/irods', OMERO_IRODS_MOUNT_COLLECTION: '/tempZone/home' };
    const warnings = configWarnings(loadConfig({ ...base, AGENT_WATCH: '/tempZone/home/lab /tempZone/projects /tempZone' }));
    expect(warnings).toContain('OMERO_IRODS_MOUNT shows /tempZone/home only: archives under /tempZone/projects cannot be registered in OMERO');
    expect(configWarnings(loadConfig({ ...base, AGENT_WATCH: '/tempZone/home/lab' })).filter((w) => w.startsWith('OMERO_IRODS_MOUNT'))).toEqual([]);
  });

  it('hands OMERO a collection where the mount shows it, and nothing outside it', () => {
    const mount = { directory: '/mnt/irods', collection: '/tempZone/home' };
    expect(mountedPath('/tempZone/home/lab/x', mount)).toBe('/mnt/irods/lab/x');
    expect(mountedPath('/tempZone/home', mount)).toBe('/mnt/irods');
    expect(mountedPath('/tempZone/homework/x', mount)).toBeUndefined();
    expect(mountedPath('/tempZone/projects/x', mount)).toBeUndefined();
    expect(mountedPath('/tempZone/home/lab/x', { directory: '/mnt/irods', collection: '/tempZone' })).toBe('/mnt/irods/home/lab/x');
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
    const cfg = loadConfig({});
    expect(cfg.omero).toMatchObject({ enabled: false, merge: true, onReplay: 'keep', timeoutSeconds: 21_600, queryTimeoutSeconds: 300, skip: undefined });
    expect(defaultOmeroServer(cfg).mode).toBe('upload');
  });
});

describe('the annotation sync settings', () => {
  it('is on with OMERO, in the agent\'s own namespace, leaving out omero. AVUs, debounced 10 s', () => {
    const off = loadConfig({});
    expect(off.omeroSync.enabled).toBe(false);
    const on = loadConfig({ OMERO_ENABLED: 'true' }).omeroSync;
    expect(on).toMatchObject({ enabled: true, namespace: 'irods-omero-agent/irods-metadata', include: [], exclude: ['omero.'], debounceSeconds: 10, attempts: 8, backoffMs: 10_000 });
    expect(loadConfig({ OMERO_ENABLED: 'true', OMERO_SYNC_ANNOTATIONS: 'false' }).omeroSync.enabled).toBe(false);
    expect(loadConfig({ OMERO_SYNC_INCLUDE: 'lab. project.', OMERO_SYNC_EXCLUDE: 'none' }).omeroSync).toMatchObject({ include: ['lab.', 'project.'], exclude: [] });
    expect(loadConfig({ OMERO_SYNC_EXCLUDE: 'omero. tmp.' }).omeroSync.exclude).toEqual(['omero.', 'tmp.']);
  });

  it('refuses a namespace that would not survive an HQL literal or a transaction line, and a debounce past an hour', () => {
    expect(() => loadConfig({ OMERO_ANNOTATION_NS: "lab's ns" })).toThrow(/^OMERO_ANNOTATION_NS: must be a namespace/);
    expect(() => loadConfig({ AGENT_OMERO_SYNC_DEBOUNCE_SECONDS: '3601' })).toThrow(/^AGENT_OMERO_SYNC_DEBOUNCE_SECONDS/);
  });
});
