// What the compose stack's containers generate at start, validated against what reads it: the
// JSON schemas of the pinned upstream releases (fixtures in ./schemas, with their sources) and
// the agent rules' own validator. No Docker engine runs here; docker/README.md says what this
// covers and what still needs one.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  composeService,
  ioaConfigure,
  readJson,
  renderSecrets,
  renderUnattendedInstall,
  repoPath,
  scratchJson,
  type ContainerNames,
} from './render.js';

const schemaDir = (name: string): string => repoPath('test/unit/docker/schemas', name);
const IRODS_SCHEMAS = 'file:///var/lib/irods/configuration_schemas/v4/';

// strict: false, because the upstream schemas carry keywords where JSON Schema ignores them
// (`items` on server_config's object `log_level`, `maxItems` beside an `enum`); the servers'
// validators ignore them too. Formats are not asserted by either server's configuration here.
function validatorFor(dir: string): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(readJson(join(dir, file)) as object);
  }
  return ajv;
}

function expectValid(validate: ValidateFunction, value: unknown): void {
  const ok = validate(value);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

let irods: Ajv2020;
let secretsDir: string;

beforeAll(() => {
  irods = validatorFor(schemaDir('irods-4.3.4'));
  secretsDir = renderSecrets();
});

const irodsSchema = (name: string): ValidateFunction => {
  const validate = irods.getSchema(`${IRODS_SCHEMAS}${name}.json`);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate;
};

describe('the iRODS unattended installation (setup_irods.py, iRODS 4.3.4)', () => {
  // The container's names decide host_resolution: compose sets `hostname: irods` (IRODS_HOST too),
  // a site may drop it (a container id) or add a domain (a canonical name of its own).
  const cases: [string, ContainerNames, string[][]][] = [
    ['hostname equal to IRODS_HOST, as in docker-compose.yml', { hostname: 'irods', canonical: 'irods' }, []],
    ['a container id for hostname', { hostname: '3f2c9a1b7d4e', canonical: '3f2c9a1b7d4e' }, [['irods', '3f2c9a1b7d4e']]],
    ['a domain: the canonical name differs', { hostname: 'irods', canonical: 'irods.lab.example.org' }, [['irods', 'irods.lab.example.org']]],
    ['three different names', { hostname: 'node7', canonical: 'node7.example.org' }, [['irods', 'node7', 'node7.example.org']]],
  ];

  it.each(cases)('renders a valid file whatever the hostname: %s', (_, names, addresses) => {
    const install = renderUnattendedInstall(secretsDir, names);
    expectValid(irodsSchema('unattended_installation'), install);
    const server = install.server_config as { host_resolution: { host_entries: { address_type: string; addresses: string[] }[] } };
    expect(server.host_resolution.host_entries).toEqual(addresses.map((a) => ({ address_type: 'local', addresses: a })));
  });

  it('gives the files setup writes what the server validates at each start (irodsctl, irods-prestart.py)', () => {
    const install = renderUnattendedInstall(secretsDir);
    // setup_irods.py commits these two as they are; IrodsConfig.validate_configuration checks them.
    expectValid(irodsSchema('server_config'), install.server_config);
    expectValid(irodsSchema('service_account_environment'), install.service_account_environment);
  });

  it('carries the secrets, escaped, and no placeholder', () => {
    const text = JSON.stringify(renderUnattendedInstall(secretsDir));
    expect(text).not.toMatch(/@[A-Z_]+@/);
    const secret = (name: string): string => readFileSync(join(secretsDir, name), 'utf8').trim();
    for (const name of ['irods_admin_password', 'irods_zone_key', 'irods_negotiation_key', 'irods_control_plane_key', 'irods_db_password']) {
      expect(text).toContain(JSON.stringify(secret(name)));
    }
  });

  it('is refused by the schema when an address repeats (the failure this rendering avoids)', () => {
    const install = renderUnattendedInstall(secretsDir) as { server_config: { host_resolution: unknown } };
    install.server_config.host_resolution = { host_entries: [{ address_type: 'local', addresses: ['irods', 'irods'] }] };
    expect(irodsSchema('unattended_installation')(install)).toBe(false);
  });
});

describe('changes the irods container makes to an existing server_config.json', () => {
  const ensurePythonRep = (path: string): void => ioaConfigure(['ensure-python-rep', path]);

  it('leaves a configuration that lists the Python rule engine alone', () => {
    const server = renderUnattendedInstall(secretsDir).server_config;
    const path = scratchJson('server_config.json', server);
    const before = readFileSync(path, 'utf8');
    ensurePythonRep(path);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('puts the Python rule engine first when it is missing, and the result stays valid and private', () => {
    const server = renderUnattendedInstall(secretsDir).server_config as {
      plugin_configuration: { rule_engines: { plugin_name: string }[] };
    };
    server.plugin_configuration.rule_engines = server.plugin_configuration.rule_engines.filter(
      (e) => e.plugin_name !== 'irods_rule_engine_plugin-python',
    );
    const path = scratchJson('server_config.json', server, 0o600);
    ensurePythonRep(path);
    const changed = readJson(path) as typeof server;
    expect(changed.plugin_configuration.rule_engines.map((e) => e.plugin_name)).toEqual([
      'irods_rule_engine_plugin-python',
      'irods_rule_engine_plugin-irods_rule_language',
      'irods_rule_engine_plugin-cpp_default_policy',
    ]);
    expectValid(irodsSchema('server_config'), changed);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('the HTTP API configuration (irods_http_api 0.7.0)', () => {
  const config = (): { irods_client: Record<string, unknown> } =>
    readJson(join(secretsDir, 'http_api_config.json')) as { irods_client: Record<string, unknown> };

  it('passes the schema the server checks /config.json against at start', () => {
    const ajv = validatorFor(schemaDir('irods-http-api-0.7.0'));
    const validate = ajv.getSchema('https://schemas.irods.org/irods-http-api/config.json');
    if (!validate) throw new Error('no HTTP API schema');
    expectValid(validate, config());
  });

  it('passes the check it makes after the schema (streams per handle within the total)', () => {
    const client = config().irods_client;
    expect(client.max_number_of_streams_per_parallel_write_handle as number).toBeLessThanOrEqual(
      client.max_number_of_parallel_write_streams as number,
    );
  });

  it('names the iRODS service, its zone and the proxy account the irods container creates', () => {
    const client = config().irods_client as { host: string; zone: string; proxy_admin_account: { username: string; password: string } };
    const irodsEnv = composeService('irods').environment ?? {};
    expect(client.host).toBe(irodsEnv.IRODS_HOST);
    expect(client.zone).toBe(irodsEnv.IRODS_ZONE);
    expect(client.proxy_admin_account).toEqual({
      username: 'http_api',
      password: readFileSync(join(secretsDir, 'http_api_irods_password'), 'utf8').trim(),
    });
  });
});

describe("the rules' configuration (/etc/irods/irods_omero_agent.json)", () => {
  // The rules module's own validator, not a copy of its keys: whatever the rules accept.
  const VALIDATE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import irods_omero_agent_rules as rules
config = rules._validate(json.load(open(sys.argv[2])))
print(json.dumps(config))
`;

  it("is accepted by the rules' own validator, with the values docker-compose.yml sets", () => {
    const path = scratchJson('irods_omero_agent.json', {});
    ioaConfigure(['rules-config', path]);
    const out = execFileSync('python3', ['-c', VALIDATE, repoPath('rules/python'), path], { encoding: 'utf8' });
    const config = JSON.parse(out) as Record<string, unknown>;
    const env = composeService('irods').environment ?? {};
    expect(config.agent_url).toBe(env.IOA_AGENT_URL);
    expect(config.watch).toEqual(env.IOA_WATCH?.split(' '));
    expect(config.ignore_users).toEqual(env.IOA_IGNORE_USERS?.split(' '));
    expect(config.delay_seconds).toBe(Number(env.IOA_DELAY_SECONDS));
    expect(config.secret_file).toBe('/etc/irods/irods_omero_agent.secret');
  });
});

describe('the OMERO server environment (omero-server-docker)', () => {
  it("has the database password where 60-database.sh reads it, and the root password", () => {
    const env = Object.fromEntries(
      readFileSync(join(secretsDir, 'omero.env'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const secret = (name: string): string => readFileSync(join(secretsDir, name), 'utf8').trim();
    expect(env).toEqual({ CONFIG_omero_db_pass: secret('omero_db_password'), ROOTPASS: secret('omero_root_password') });
    expect(composeService('omero-server').env_file).toEqual(['./docker/secrets/omero.env']);
  });
});

describe('docker-compose.yml', () => {
  it('follows the Compose Specification', () => {
    // The spec's schema names its draft-07 meta-schema by an https URI Ajv does not know by that name.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json') as object, 'https://json-schema.org/draft-07/schema');
    const validate = ajv.compile(readJson(schemaDir('compose-spec/compose-spec.json')) as object);
    expectValid(validate, parseYaml(readFileSync(repoPath('docker-compose.yml'), 'utf8'), { merge: true }));
  });


  it('waits for a healthy HTTP API before the agent starts', () => {
    expect(composeService('irods-http-api').healthcheck?.test.join(' ')).toContain('/irods-http-api/0.7.0/info');
    expect(composeService('agent').depends_on?.['irods-http-api']).toEqual({ condition: 'service_healthy' });
    expect(composeService('irods-http-api').depends_on?.irods).toEqual({ condition: 'service_healthy' });
  });

  it('restarts what runs, and retries the HTTP API only after a failure (as irods_demo does)', () => {
    for (const name of ['postgres', 'redis', 'irods', 'agent', 'omero-server', 'omero-web']) {
      expect(composeService(name).restart, name).toBe('unless-stopped');
    }
    expect(composeService('irods-http-api').restart).toBe('on-failure');
    expect(composeService('agent-migrate').restart).toBeUndefined();
  });

  it('runs the amd64-only images as amd64', () => {
    for (const name of ['irods', 'irods-http-api', 'omero-server']) expect(composeService(name).platform, name).toBe('linux/amd64');
  });

  it('lets a site pick the agent image variant without editing, standard by default', () => {
    const dockerfile = readFileSync(repoPath('docker/agent/Dockerfile'), 'utf8');
    const targets = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(targets).toEqual(['build', 'standard', 'omero']);
    for (const name of ['agent', 'agent-migrate']) {
      expect(composeService(name).build?.target).toBe('${AGENT_VARIANT:-standard}');
      expect(composeService(name).image).toBe('irods-omero-agent/agent:${AGENT_VARIANT:-standard}');
    }
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
  });

  it('pins what the omero variant fetches at build time', () => {
    const dockerfile = readFileSync(repoPath('docker/agent/Dockerfile'), 'utf8');
    const omero = dockerfile.slice(dockerfile.indexOf('AS omero'));
    expect(omero).toMatch(/^ARG ZEROC_ICE_WHEEL=https:\/\/\S+\/zeroc_ice-3\.6\.5-cp311-cp311-manylinux_2_28_x86_64\.whl$/m);
    expect(omero).toMatch(/^ARG OMERO_PY_VERSION=\d+\.\d+\.\d+$/m);
    expect(omero).toMatch(/^ARG OMERO_CLI_TRANSFER_VERSION=\d+\.\d+\.\d+$/m);
    expect(omero).toMatch(/^ARG OMERO_JAVA=\d+\.\d+\.\d+$/m);
    expect(omero).toContain('omero import --fetch-jars "${OMERO_JAVA}"');
    expect(omero).toContain('openjdk-17-jre-headless');
  });
});

describe('the container scripts', () => {
  it('parse (sh -n, bash -n, py_compile)', () => {
    execFileSync('sh', ['-n', repoPath('docker/init-secrets.sh')]);
    for (const script of ['docker/irods/entrypoint.sh', 'docker/postgres/init-databases.sh']) execFileSync('bash', ['-n', repoPath(script)]);
    for (const script of ['docker/irods/ioa-configure.py', 'docker/irods/irods-prestart.py']) {
      execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', repoPath(script)]);
    }
  });
});
