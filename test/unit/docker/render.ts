// Renders the compose stack's generated configuration the way its containers do: the same
// scripts (docker/init-secrets.sh, docker/irods/ioa-configure.py), the same inputs
// (docker-compose.yml's environment, the templates), only the paths moved into a scratch folder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);
export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

export interface ComposeService {
  image?: string;
  platform?: string;
  restart?: string;
  hostname?: string;
  build?: { context: string; dockerfile: string; target?: string };
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

/** A service of docker-compose.yml as parsed YAML (anchors and merge keys resolved, `${…}` as written). */
export function composeService(name: string): ComposeService {
  const doc = parseYaml(readFileSync(repoPath('docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService | undefined>;
  };
  const service = doc.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

/** A scratch copy of what init-secrets.sh reads, run there: returns its secrets folder. */
export function renderSecrets(): string {
  const root = mkdtempSync(join(tmpdir(), 'ioa-stack-'));
  mkdirSync(join(root, 'docker', 'irods-http-api'), { recursive: true });
  copyFileSync(repoPath('docker/init-secrets.sh'), join(root, 'docker', 'init-secrets.sh'));
  copyFileSync(
    repoPath('docker/irods-http-api/config.template.json'),
    join(root, 'docker', 'irods-http-api', 'config.template.json'),
  );
  execFileSync('sh', [join(root, 'docker', 'init-secrets.sh')], { stdio: 'pipe' });
  return join(root, 'docker', 'secrets');
}

/**
 * The host's view of names, as the container would have it: gethostname() and the canonical
 * name getaddrinfo(AI_CANONNAME) gives for it (what setup_irods.py calls the hostname).
 */
export interface ContainerNames {
  hostname: string;
  canonical: string;
}

// Runs ioa-configure.py as a script, with socket.gethostname/getaddrinfo answering for the
// container whose names are given: the one thing that differs between this machine and it.
const AS_CONTAINER = `
import runpy, socket, sys
hostname, canonical = sys.argv[1], sys.argv[2]
real_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host == hostname:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, canonical, ('172.18.0.5', 0))]
    return real_getaddrinfo(host, *args, **kwargs)
socket.gethostname = lambda: hostname
socket.getaddrinfo = getaddrinfo
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name='__main__')
`;

/** ioa-configure.py COMMAND ARGS… with the irods service's environment from docker-compose.yml. */
export function ioaConfigure(args: string[], options: { secretsDir?: string; names?: ContainerNames; env?: Record<string, string> } = {}): void {
  const names = options.names ?? { hostname: 'irods', canonical: 'irods' };
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...composeService('irods').environment,
    ...(options.secretsDir ? { SECRETS_DIR: options.secretsDir } : {}),
    ...options.env,
  };
  execFileSync('python3', ['-c', AS_CONTAINER, names.hostname, names.canonical, repoPath('docker/irods/ioa-configure.py'), ...args], {
    env,
    stdio: 'pipe',
  });
}

/** The unattended-installation file the irods container hands to setup_irods.py. */
export function renderUnattendedInstall(secretsDir: string, names?: ContainerNames): Record<string, unknown> {
  const out = join(mkdtempSync(join(tmpdir(), 'ioa-install-')), 'unattended_install.json');
  ioaConfigure(['render-install', repoPath('docker/irods/unattended_install.template.json'), out], { secretsDir, names });
  return readJson(out) as Record<string, unknown>;
}

/** Writes `value` as JSON into a scratch file and returns its path. */
export function scratchJson(name: string, value: unknown, mode = 0o600): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ioa-json-')), name);
  writeFileSync(path, `${JSON.stringify(value, null, 4)}\n`, { mode });
  return path;
}
