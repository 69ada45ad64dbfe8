import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, defaultOmeroServer, describeConfig, loadConfig, omeroServerNamed } from '../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ioa-omero-servers-'));
writeFileSync(join(dir, 'facility.pw'), 'facility-secret\n');
writeFileSync(join(dir, 'partner.pw'), 'partner-secret\n');

/** Writes a servers file (YAML text, or an object written as JSON) and returns its path. */
let files = 0;
function serversFile(content: string | object): string {
  const path = join(dir, `servers-${++files}.${typeof content === 'string' ? 'yaml' : 'json'}`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const TWO = `
default_server: facility
servers:
  - name: facility
    host: omero.example.org
    user: irods-agent
    password_file: ${dir}/facility.pw
    group: lab
    mode: ln_s
    mount: /mnt/irods/
    mount_collection: /tempZone/home
  - name: partner
    host: omero.partner.org
    port: 14064
    user: guest-importer
    password_file: ${dir}/partner.pw
`;

describe('the OMERO servers', () => {
  it('without a servers file, the OMERO_* settings describe one server, the default, named by OMERO_SERVER_NAME', () => {
    const cfg = loadConfig({ OMERO_HOST: 'omero', OMERO_PASSWORD: 'pw', OMERO_GROUP: 'lab' });
    expect(cfg.omero.servers).toEqual([
      { name: 'default', isDefault: true, host: 'omero', port: 4064, user: 'root', password: 'pw', group: 'lab', mode: 'upload', irodsMount: undefined, irodsMountCollection: '/tempZone' },
    ]);
    expect(defaultOmeroServer(loadConfig({ OMERO_SERVER_NAME: 'facility' })).name).toBe('facility');
    expect(() => loadConfig({ OMERO_SERVER_NAME: 'Facility' })).toThrow(/^OMERO_SERVER_NAME: must be a lower-case name/);
  });

  it('reads every server of a YAML file, the passwords from their files, and says which is the default', () => {
    const cfg = loadConfig({ OMERO_ENABLED: 'true', OMERO_SERVERS_FILE: serversFile(TWO) });
    expect(cfg.omero.servers.map((s) => [s.name, s.isDefault])).toEqual([
      ['facility', true],
      ['partner', false],
    ]);
    expect(defaultOmeroServer(cfg)).toMatchObject({ host: 'omero.example.org', port: 4064, user: 'irods-agent', password: 'facility-secret', group: 'lab', mode: 'ln_s', irodsMount: '/mnt/irods', irodsMountCollection: '/tempZone/home' });
    expect(omeroServerNamed(cfg, 'partner')).toMatchObject({ host: 'omero.partner.org', port: 14064, password: 'partner-secret', group: undefined, mode: 'upload', irodsMountCollection: '/tempZone' });
    expect(omeroServerNamed(cfg, 'nowhere')).toBeUndefined();
    expect(cfg.omero.serversFile).toMatch(/servers-\d+\.yaml$/);
  });

  it('takes JSON too, and `default: true` on one server instead of default_server', () => {
    const cfg = loadConfig({
      OMERO_SERVERS_FILE: serversFile({
        servers: [
          { name: 'a', host: 'a.example.org', user: 'u', password_file: `${dir}/facility.pw` },
          { name: 'b', host: 'b.example.org', user: 'u', password_file: `${dir}/partner.pw`, default: true },
        ],
      }),
    });
    expect(defaultOmeroServer(cfg).name).toBe('b');
    // A file with one server: that one is the default.
    const one = loadConfig({ OMERO_SERVERS_FILE: serversFile({ servers: [{ name: 'only', host: 'h', user: 'u' }] }) });
    expect(defaultOmeroServer(one).name).toBe('only');
  });

  it('names the file, the server and the field of what is wrong', () => {
    const bad = (content: string | object) => () => loadConfig({ OMERO_ENABLED: 'true', OMERO_SERVERS_FILE: serversFile(content) });
    const one = (extra: object) => ({ servers: [{ name: 'partner', host: 'h', user: 'u', ...extra }] });
    expect(bad(one({ port: 'x' }))).toThrow(ConfigError);
    expect(bad(one({ port: 'x' }))).toThrow(/^OMERO_SERVERS_FILE: \/.*servers-\d+\.json: server 'partner': port: /);
    expect(bad(one({ mode: 'copy' }))).toThrow(/server 'partner': mode: must be one of ln_s, upload/);
    expect(bad(one({ mode: 'ln_s' }))).toThrow(/server 'partner': mount: required with mode=ln_s/);
    expect(bad(one({ mount: '/mnt', mount_collection: '/otherZone' }))).toThrow(/server 'partner': mount_collection: must be \/tempZone or a collection under it/);
    expect(bad(one({ hots: 'typo' }))).toThrow(/server 'partner': unknown field\(s\) hots/);
    expect(bad({ servers: [{ name: 'Partner One', host: 'h', user: 'u' }] })).toThrow(/server 'Partner One': name: must be a lower-case name/);
    expect(bad({ servers: [{ host: 'h', user: 'u' }] })).toThrow(/server #1: name: /);
    expect(bad({ servers: [] })).toThrow(/servers: must name at least one server/);
    expect(bad('servers: [unclosed')).toThrow(/^OMERO_SERVERS_FILE: cannot read \/.*servers-\d+\.yaml/);
    expect(() => loadConfig({ OMERO_SERVERS_FILE: join(dir, 'absent.yaml') })).toThrow(/^OMERO_SERVERS_FILE: cannot read .*absent\.yaml/);
  });

  it('never takes a password from the file itself', () => {
    const file = serversFile({ servers: [{ name: 'partner', host: 'h', user: 'u', password: 'hunter2' }] });
    expect(() => loadConfig({ OMERO_SERVERS_FILE: file })).toThrow(/server 'partner': unknown field\(s\) password \(the password is never written here: give password_file/);
    expect(() => loadConfig({ OMERO_SERVERS_FILE: file })).not.toThrow(/hunter2/);
  });

  it('refuses a password file it cannot read, naming the server', () => {
    const file = serversFile({ servers: [{ name: 'partner', host: 'h', user: 'u', password_file: `${dir}/missing.pw` }] });
    expect(() => loadConfig({ OMERO_SERVERS_FILE: file })).toThrow(new RegExp(`servers-\\d+\\.json: server 'partner': password_file: cannot read ${dir}/missing\\.pw`));
  });

  it('refuses two defaults, two servers of one name, and a default_server no server has', () => {
    const two = (extra: object) => ({ ...extra, servers: [{ name: 'a', host: 'h', user: 'u', default: true }, { name: 'b', host: 'h', user: 'u', default: true }] });
    expect(() => loadConfig({ OMERO_SERVERS_FILE: serversFile(two({})) })).toThrow(/servers 'a' and 'b' both say default: true/);
    const named = (name: string, other = 'b') => serversFile({ default_server: name, servers: [{ name: 'a', host: 'h', user: 'u' }, { name: other, host: 'h', user: 'u' }] });
    expect(() => loadConfig({ OMERO_SERVERS_FILE: named('c') })).toThrow(/default_server: no server is named 'c' \(known: a, b\)/);
    expect(() => loadConfig({ OMERO_SERVERS_FILE: named('a', 'a') })).toThrow(/two servers are named 'a'/);
    const none = serversFile({ servers: [{ name: 'a', host: 'h', user: 'u' }, { name: 'b', host: 'h', user: 'u' }] });
    expect(() => loadConfig({ OMERO_SERVERS_FILE: none })).toThrow(/say which server is the default/);
  });

  it('refuses the one-server settings beside a servers file: which would win is not obvious', () => {
    expect(() => loadConfig({ OMERO_SERVERS_FILE: serversFile(TWO), OMERO_HOST: 'omero' })).toThrow(/^OMERO_HOST: not used with OMERO_SERVERS_FILE/);
    expect(() => loadConfig({ OMERO_SERVERS_FILE: serversFile(TWO), OMERO_PASSWORD: 'x' })).toThrow(/^OMERO_PASSWORD: not used with OMERO_SERVERS_FILE/);
  });

  it('prints every server with its password masked, and warns about a server without one', () => {
    const cfg = loadConfig({ OMERO_ENABLED: 'true', OMERO_SERVERS_FILE: serversFile(TWO), AGENT_WATCH: '/tempZone/home/lab' });
    const text = JSON.stringify(describeConfig(cfg));
    expect(text).not.toContain('facility-secret');
    expect(text).not.toContain('partner-secret');
    expect(text).toContain('omero.partner.org');
    const open = loadConfig({ OMERO_ENABLED: 'true', OMERO_SERVERS_FILE: serversFile({ servers: [{ name: 'partner', host: 'h', user: 'u' }] }) });
    expect(configWarnings(open)).toContainEqual(expect.stringMatching(/OMERO_ENABLED but server 'partner' of .* has no password_file/));
  });
});
