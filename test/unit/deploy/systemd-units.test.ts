import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { KNOWN_VARIABLES } from '../../../src/config/config.js';

/** The systemd units shipped in deploy/systemd, as docs/install.md installs them. */

const dir = new URL('../../../deploy/systemd/', import.meta.url).pathname;
const UNITS = { 'irods-omero-agent.service': 'start', 'irods-omero-agent-serve.service': 'serve', 'irods-omero-agent-work@.service': 'work' } as const;

/** `Key=value` lines of a unit's [Service] section (repeated keys kept in order). */
function serviceSettings(unit: string): [string, string][] {
  const text = readFileSync(join(dir, unit), 'utf8');
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  return service
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('the systemd units', () => {
  it('run the built CLI with the Node flags of its shebang, one command each', () => {
    for (const [unit, command] of Object.entries(UNITS)) {
      const exec = serviceSettings(unit).find(([k]) => k === 'ExecStart')?.[1];
      expect(exec, unit).toBe(['/usr/bin/node', ...AGENT_NODE_FLAGS, '/opt/irods-omero-agent/dist/src/cli/main.js', command].join(' '));
    }
  });

  it('hand every secret over as a credential the agent reads through a <NAME>_FILE setting it knows', () => {
    for (const unit of Object.keys(UNITS)) {
      const settings = serviceSettings(unit);
      const credentials = settings.filter(([k]) => k === 'LoadCredential').map(([, v]) => v.split(':')[0]);
      const variables = settings.filter(([k]) => k === 'Environment').flatMap(([, v]) => v.split(' ')).map((a) => a.split('='));
      const fromCredentials = variables.filter(([, value]) => value?.startsWith('%d/'));
      expect(fromCredentials.map(([, v]) => v?.slice(3)).sort(), unit).toEqual([...credentials].sort());
      for (const [name] of fromCredentials) expect(KNOWN_VARIABLES, `${unit}: ${String(name)}`).toContain(name);
      expect(settings.find(([k]) => k === 'EnvironmentFile')?.[1]).toBe('/etc/irods-omero-agent/agent.env');
    }
  });

  it("ship an example environment file whose every setting is the agent's", () => {
    const names = readFileSync(join(dir, 'agent.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(KNOWN_VARIABLES).toContain(name);
  });

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('pass systemd-analyze verify', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ioa-units-'));
    try {
      for (const unit of Object.keys(UNITS)) copyFileSync(join(dir, unit), join(scratch, unit));
      const units = ['irods-omero-agent.service', 'irods-omero-agent-serve.service', 'irods-omero-agent-work@1.service'].map((u) => join(scratch, u));
      // Quiet and exit 0 when the files are well formed (it reads them as they will be installed).
      const out = execFileSync('/usr/bin/systemd-analyze', ['verify', ...units], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
