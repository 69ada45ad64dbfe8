import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempArchives, tempDir } from '../../support/archives/index.js';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { runConfigCheck } from '../../support/config-check.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

/** `irods-omero-agent config check` on the user mapping, with the names looked up in the iRODS stand-in. */

let irods: IrodsForTest;
let dir: string;

beforeAll(async () => {
  irods = await startIrodsForTest();
  await irods.makeUser('carol');
  await irods.client.users.createGroup('labx');
  dir = await tempDir();
});
afterAll(async () => {
  await irods?.close();
  await removeTempArchives();
});

async function mapping(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const configCheck = (env: Record<string, string>, args: string[] = []) => runConfigCheck(irods.standin.baseUrl, env, args);

const WITH_UNKNOWN = `users:
  root: carol
  jdoe: ghost
  team: labx
groups:
  system: labx
  lab: nogroup
prefixes:
  - prefix: /tempZone/home/lab
    grants:
      - { user: ghost, acl: read }
`;

describe('config check on the user mapping', () => {
  it('names the iRODS users and groups that do not exist, with the places in the file, and still exits 0', async () => {
    const path = await mapping('unknown.yaml', WITH_UNKNOWN);
    const { code, err } = await configCheck({ AGENT_USER_MAP: path });
    expect(code).toBe(0);
    expect(err).toContain(`user mapping: ${path} is valid`);
    expect(err).toMatch(/warning: user mapping: iRODS has no user 'ghost' \(users\.jdoe, prefixes\[0\]\.grants\[0\]\)/);
    expect(err).toMatch(/warning: user mapping: iRODS has no group 'nogroup' \(groups\.lab\)/);
    expect(err).toMatch(/warning: user mapping: 'labx' is a group in iRODS, but the mapping uses it as a user \(users\.team\)/);
    expect(err).not.toMatch(/'carol'/);
    expect(err).toMatch(/configuration is valid$/);
  });

  it('reports the same as JSON for scripts', async () => {
    const path = await mapping('unknown.json.yaml', WITH_UNKNOWN);
    const { code, out } = await configCheck({ AGENT_USER_MAP: path }, ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.ok).toBe(true);
    expect(report.user_map).toMatchObject({ state: 'valid', path, irods: { checked: true, result: { ok: false, checked: 5 } } });
    expect(report.user_map.irods.result.unknownUsers).toEqual(['ghost']);
    expect(report.user_map.irods.result.unknownGroups).toEqual(['nogroup']);
    expect(report.user_map.irods.result.usersThatAreGroups).toEqual(['labx']);
  });

  it('says so when every name exists', async () => {
    const path = await mapping('good.yaml', 'users:\n  root: carol\ngroups:\n  system: labx\n');
    const { code, err } = await configCheck({ AGENT_USER_MAP: path });
    expect(code).toBe(0);
    expect(err).toContain('the 2 iRODS users and groups it names all exist');
    expect(err).not.toContain('warning: user mapping');
  });

  it('exits 2 on an invalid file, naming each wrong place', async () => {
    const path = await mapping('bad.yaml', 'users:\n  jdoe: "not a name!"\nno_match: sometimes\n');
    const { code, err, out } = await configCheck({ AGENT_USER_MAP: path }, []);
    expect(code).toBe(2);
    expect(err).toContain(`user mapping is invalid: ${path}`);
    expect(err).toMatch(/users\.jdoe: /);
    expect(err).toMatch(/no_match: /);
    expect(err).toMatch(/configuration is invalid$/);
    expect(out).not.toBe('');
    const json = await configCheck({ AGENT_USER_MAP: path }, ['--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, user_map: { state: 'invalid', path } });
  });

  it('exits 2 when the file is missing', async () => {
    const { code, err } = await configCheck({ AGENT_USER_MAP: join(dir, 'absent.yaml') });
    expect(code).toBe(2);
    expect(err).toMatch(/absent\.yaml.*no such file/s);
  });

  it('says the names were not checked when iRODS is unreachable, and exits 0 for a valid file', async () => {
    const path = await mapping('unreached.yaml', WITH_UNKNOWN);
    const { code, err } = await configCheck({ AGENT_USER_MAP: path, IRODS_HTTP_API_URL: 'http://127.0.0.1:1/irods-http-api/0.7.0' });
    expect(code).toBe(0);
    expect(err).toMatch(/its names were not checked against iRODS: iRODS is unreachable at http:\/\/127\.0\.0\.1:1/);
    expect(err).not.toContain("'ghost'");
  });

  it('says the names were not checked without IRODS_PASSWORD', async () => {
    const path = await mapping('nopass.yaml', WITH_UNKNOWN);
    const { code, err } = await configCheck({ AGENT_USER_MAP: path, IRODS_PASSWORD: '' });
    expect(code).toBe(0);
    expect(err).toContain('not checked against iRODS: IRODS_PASSWORD is not set');
  });

  it('notes that only uploaders get access without a mapping', async () => {
    const { code, err } = await configCheck({});
    expect(code).toBe(0);
    expect(err).toContain('user mapping: none (AGENT_USER_MAP is not set)');
  });
});

describe('agent start with the user mapping', () => {
  it('refuses to start workers with an invalid mapping file: exit 2, naming the file and the wrong place', async () => {
    const path = await mapping('start-bad.yaml', 'users:\n  jdoe: "not a name!"\n');
    const err: string[] = [];
    const io: CliIo = { env: { AGENT_USER_MAP: path, IRODS_PASSWORD: 'rods', AGENT_LOG_LEVEL: 'silent' }, out: () => undefined, err: (l) => err.push(l), exitCode: 0 };
    expect(await runCli(['work', '--no-migrate'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/^configuration error: AGENT_USER_MAP: .*start-bad\.yaml: users\.jdoe: /);
  });
});
