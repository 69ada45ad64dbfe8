import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config-error.js';

/** How a server's name may be spelled: it becomes part of AVU attribute names (src/omero/registration-avus.ts). */
export const OMERO_SERVER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Where a server is, who the agent is there, and how it registers. */
interface OmeroConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  readonly group: string | undefined;
  readonly mode: 'ln_s' | 'upload';
}

/** One OMERO server the agent may register archives in. */
export interface OmeroServer extends OmeroConnection {
  readonly name: string;
  /** The server the landing-time omero step uses; registrations there keep the unsuffixed AVU names. */
  readonly isDefault: boolean;
  readonly irodsMount: string | undefined;
  /**
   * The iRODS collection that appears at irodsMount (NFSRODS's `irods_mount_point`): the
   * collection `<it>/a/b` is `<irodsMount>/a/b`. Default: the zone, `/<IRODS_ZONE>`.
   */
  readonly irodsMountCollection: string;
}

/** What the file or the OMERO_* settings say of one server, before the checks that involve the zone. */
export interface OmeroServerSettings extends OmeroConnection {
  readonly mount: string | undefined;
  readonly mountCollection: string | undefined;
}

const absoluteDirectory = z
  .string()
  .regex(/^\/./, 'must be an absolute path (where the OMERO server sees the iRODS zone)')
  .transform((p) => p.replace(/\/+$/, ''));

const collectionPath = z
  .string()
  .regex(/^\/[^/]+(\/[^/]+)*\/?$/, 'must be an absolute iRODS logical path such as /tempZone/home')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not hold . or .. segments')
  .transform((p) => p.replace(/\/+$/, ''));

/** One entry of the servers file. The password is never in the file: only the path of a file holding it. */
const serverEntry = z.strictObject({
  name: z.string().regex(OMERO_SERVER_NAME, 'must be a lower-case name of 1-32 letters, digits, _ or - starting with a letter'),
  default: z.boolean().optional(),
  host: z.string().min(1, 'must not be empty'),
  port: z.number().int().min(1).max(65535).default(4064),
  user: z.string().min(1, 'must not be empty'),
  password_file: z.string().regex(/^\//, 'must be an absolute path').optional(),
  group: z.string().min(1, 'must not be empty').optional(),
  mode: z.enum(['ln_s', 'upload']).default('upload'),
  mount: absoluteDirectory.optional(),
  mount_collection: collectionPath.optional(),
});

const serversFile = z.strictObject({
  default_server: z.string().optional(),
  servers: z.array(z.unknown()).min(1, 'must name at least one server'),
});

const where = (path: readonly PropertyKey[]): string => (path.length ? `${path.map(String).join('.')}: ` : '');

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const secret = issue.keys.includes('password') ? ' (the password is never written here: give password_file, a file that holds it)' : '';
    return `unknown field(s) ${issue.keys.join(', ')}${secret}`;
  }
  if (issue.code === 'invalid_value') return `${where(issue.path)}must be one of ${issue.values.map(String).join(', ')}`;
  return `${where(issue.path)}${issue.message}`;
}

function readPassword(file: string, server: string, passwordFile: string): string {
  try {
    return readFileSync(passwordFile, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('OMERO_SERVERS_FILE', `${file}: server '${server}': password_file: cannot read ${passwordFile}: ${(err as Error).message}`);
  }
}

/** The file's text as YAML (JSON is YAML too), refused with its path when it is not a mapping of servers. */
function readServersFile(file: string): z.infer<typeof serversFile> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('OMERO_SERVERS_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  const top = serversFile.safeParse(parsed);
  if (!top.success) {
    const issue = top.error.issues[0];
    throw new ConfigError('OMERO_SERVERS_FILE', `${file}: ${issue ? issueText(issue) : 'must be a mapping with a list of servers'}`);
  }
  return top.data;
}

/** Which entry is the default: `default_server: <name>`, or the one entry with `default: true` (not both ways at once, never two). */
function defaultName(file: string, declared: string | undefined, entries: readonly { name: string; default?: boolean | undefined }[]): string {
  const flagged = entries.filter((e) => e.default === true).map((e) => e.name);
  if (flagged.length > 1) throw new ConfigError('OMERO_SERVERS_FILE', `${file}: servers ${flagged.map((n) => `'${n}'`).join(' and ')} both say default: true; one server is the default`);
  if (declared !== undefined) {
    if (!entries.some((e) => e.name === declared)) {
      throw new ConfigError('OMERO_SERVERS_FILE', `${file}: default_server: no server is named '${declared}' (known: ${entries.map((e) => e.name).join(', ')})`);
    }
    if (flagged.length && flagged[0] !== declared) {
      throw new ConfigError('OMERO_SERVERS_FILE', `${file}: default_server names '${declared}' but server '${String(flagged[0])}' says default: true`);
    }
    return declared;
  }
  const only = entries.length === 1 ? entries[0]?.name : undefined;
  const chosen = flagged[0] ?? only;
  if (chosen === undefined) throw new ConfigError('OMERO_SERVERS_FILE', `${file}: say which server is the default (default_server: <name>, or default: true on one server)`);
  return chosen;
}

/**
 * The servers of an OMERO_SERVERS_FILE (YAML or JSON): every entry validated, errors naming the
 * file, the server and the field; each password read from its password_file.
 */
export function readOmeroServers(file: string): { readonly name: string; readonly isDefault: boolean; readonly settings: OmeroServerSettings }[] {
  const top = readServersFile(file);
  const entries = top.servers.map((raw, index) => {
    const parsed = serverEntry.safeParse(raw);
    if (parsed.success) return parsed.data;
    const name = typeof raw === 'object' && raw !== null && 'name' in raw && typeof raw.name === 'string' ? `'${raw.name}'` : `#${index + 1}`;
    const issue = parsed.error.issues[0];
    throw new ConfigError('OMERO_SERVERS_FILE', `${file}: server ${name}: ${issue ? issueText(issue) : 'invalid'}`);
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new ConfigError('OMERO_SERVERS_FILE', `${file}: two servers are named '${e.name}'`);
    seen.add(e.name);
  }
  const chosen = defaultName(file, top.default_server, entries);
  return entries.map((e) => ({
    name: e.name,
    isDefault: e.name === chosen,
    settings: {
      host: e.host,
      port: e.port,
      user: e.user,
      password: e.password_file === undefined ? undefined : readPassword(file, e.name, e.password_file),
      group: e.group,
      mode: e.mode,
      mount: e.mount,
      mountCollection: e.mount_collection,
    },
  }));
}

/**
 * A server's settings checked against the zone: ln_s needs a mount; a mount collection needs a
 * mount and must be the zone or under it. `label` spells the fields as the admin wrote them, and
 * `fail(field, message)` names where (an OMERO_* variable, or the servers file's entry).
 */
export function completeServer(
  name: string,
  isDefault: boolean,
  s: OmeroServerSettings,
  zone: string,
  enabled: boolean,
  label: { readonly mode: string; readonly mount: string },
  fail: (field: 'mount' | 'mount_collection', message: string) => ConfigError,
): OmeroServer {
  if (enabled && s.mode === 'ln_s' && s.mount === undefined) {
    throw fail('mount', `required with ${label.mode}=ln_s: OMERO registers the files in place, where it sees the iRODS zone`);
  }
  if (s.mountCollection !== undefined && s.mount === undefined) {
    throw fail('mount_collection', `only means something with ${label.mount} (the directory where that collection is mounted)`);
  }
  const mountCollection = s.mountCollection ?? `/${zone}`;
  if (mountCollection !== `/${zone}` && !mountCollection.startsWith(`/${zone}/`)) {
    throw fail('mount_collection', `must be /${zone} or a collection under it (NFSRODS's irods_mount_point, e.g. /${zone}/home)`);
  }
  return {
    name,
    isDefault,
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    group: s.group,
    mode: s.mode,
    irodsMount: s.mount,
    irodsMountCollection: mountCollection,
  };
}

/** The settings omeroServers reads (config.ts's parsed environment). */
export interface OmeroServerEnv {
  readonly IRODS_ZONE: string;
  readonly OMERO_ENABLED: boolean;
  readonly OMERO_SERVERS_FILE?: string | undefined;
  readonly OMERO_SERVER_NAME: string;
  readonly OMERO_HOST: string;
  readonly OMERO_PORT: number;
  readonly OMERO_USER: string;
  readonly OMERO_PASSWORD?: string | undefined;
  readonly OMERO_GROUP?: string | undefined;
  readonly OMERO_MODE: 'ln_s' | 'upload';
  readonly OMERO_IRODS_MOUNT?: string | undefined;
  readonly OMERO_IRODS_MOUNT_COLLECTION?: string | undefined;
}

/** The settings that describe the one server when there is no OMERO_SERVERS_FILE (and may not be given with it). */
const SINGLE_SERVER_KEYS = [
  'OMERO_SERVER_NAME',
  'OMERO_HOST',
  'OMERO_PORT',
  'OMERO_USER',
  'OMERO_PASSWORD',
  'OMERO_PASSWORD_FILE',
  'OMERO_GROUP',
  'OMERO_MODE',
  'OMERO_IRODS_MOUNT',
  'OMERO_IRODS_MOUNT_COLLECTION',
] as const;

/**
 * The OMERO servers: those of OMERO_SERVERS_FILE, or the one the OMERO_* settings describe,
 * named OMERO_SERVER_NAME. Both at once is refused: which would win is not obvious.
 */
export function omeroServers(e: OmeroServerEnv, given: (key: string) => boolean): OmeroServer[] {
  const zone = e.IRODS_ZONE;
  const file = e.OMERO_SERVERS_FILE;
  if (file === undefined) {
    const single = {
      host: e.OMERO_HOST,
      port: e.OMERO_PORT,
      user: e.OMERO_USER,
      password: e.OMERO_PASSWORD,
      group: e.OMERO_GROUP,
      mode: e.OMERO_MODE,
      mount: e.OMERO_IRODS_MOUNT,
      mountCollection: e.OMERO_IRODS_MOUNT_COLLECTION,
    };
    const label = { mode: 'OMERO_MODE', mount: 'OMERO_IRODS_MOUNT' };
    const key = { mount: 'OMERO_IRODS_MOUNT', mount_collection: 'OMERO_IRODS_MOUNT_COLLECTION' } as const;
    return [completeServer(e.OMERO_SERVER_NAME, true, single, zone, e.OMERO_ENABLED, label, (field, message) => new ConfigError(key[field], message))];
  }
  const clash = SINGLE_SERVER_KEYS.find(given);
  if (clash) throw new ConfigError(clash, `not used with OMERO_SERVERS_FILE (${file}): describe every server, the default one too, in that file`);
  return readOmeroServers(file).map(({ name, isDefault, settings }) =>
    completeServer(name, isDefault, settings, zone, e.OMERO_ENABLED, { mode: 'mode', mount: 'mount' }, (field, message) =>
      new ConfigError('OMERO_SERVERS_FILE', `${file}: server '${name}': ${field}: ${message}`),
    ),
  );
}

/** What the server look-ups need of the configuration. */
export interface OmeroServersOf {
  readonly omero: { readonly servers: readonly OmeroServer[] };
}

/** The server the landing-time omero step registers in. */
export function defaultOmeroServer(config: OmeroServersOf): OmeroServer {
  const found = config.omero.servers.find((s) => s.isDefault);
  if (!found) throw new ConfigError('OMERO_SERVERS_FILE', 'no default OMERO server'); // loadConfig always names one
  return found;
}

/** The server of that name (the default one when no name is given), undefined when the configuration names none. */
export function omeroServerNamed(config: OmeroServersOf, name?: string): OmeroServer | undefined {
  return name === undefined ? defaultOmeroServer(config) : config.omero.servers.find((s) => s.name === name);
}

/** The names an operator may give, in the configuration's order (for a refusal's message). */
export function omeroServerNames(config: OmeroServersOf): string[] {
  return config.omero.servers.map((s) => s.name);
}
