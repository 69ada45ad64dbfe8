import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempArchives, tempDir } from '../../support/archives/index.js';
import { runConfigCheck } from '../../support/config-check.js';
import { startIrodsForTest, type IrodsForTest } from '../../support/irods.js';

/** `irods-omero-agent config check` looks AGENT_TARGET_RESOURCE up in iRODS (the stand-in). */

let irods: IrodsForTest;

beforeAll(async () => {
  irods = await startIrodsForTest();
  const token = await (await fetch(`${irods.standin.baseUrl}/authenticate`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('rods:rods').toString('base64')}` } })).text();
  const admin = (params: Record<string, string>) =>
    fetch(`${irods.standin.baseUrl}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
  const vault = await tempDir();
  await admin({ op: 'create', name: 'replResc', type: 'replication' });
  await admin({ op: 'create', name: 'leafResc', type: 'unixfilesystem', host: 'localhost', 'vault-path': `${vault}/leaf` });
  await admin({ op: 'add_child', 'parent-name': 'replResc', 'child-name': 'leafResc' });
});
afterAll(async () => {
  await irods?.close();
  await removeTempArchives();
});

const configCheck = (env: Record<string, string>, args: string[] = []) => runConfigCheck(irods.standin.baseUrl, env, args);

describe('config check on AGENT_TARGET_RESOURCE', () => {
  it('says the target resource exists, with its type', async () => {
    const { code, err } = await configCheck({ AGENT_TARGET_RESOURCE: 'replResc' });
    expect(code).toBe(0);
    expect(err).toContain('target resource: replResc exists (replication): expanded files are written there');
    expect(err).toMatch(/configuration is valid$/);
  });

  it('refuses a resource the zone does not have, or a child of a hierarchy', async () => {
    const missing = await configCheck({ AGENT_TARGET_RESOURCE: 'nowhereResc' });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("AGENT_TARGET_RESOURCE: iRODS has no resource 'nowhereResc'");
    expect(missing.err).toMatch(/configuration is invalid$/);
    const child = await configCheck({ AGENT_TARGET_RESOURCE: 'leafResc' }, ['--json']);
    expect(child.code).toBe(2);
    expect(JSON.parse(child.out)).toMatchObject({ ok: false, target_resource: { state: 'not_a_root', name: 'leafResc' } });
  });

  it("reports the server's default when it is not set", async () => {
    const { code, err } = await configCheck({});
    expect(code).toBe(0);
    expect(err).toContain("target resource: none (AGENT_TARGET_RESOURCE is not set): expanded files go to the server's default resource");
  });
});
