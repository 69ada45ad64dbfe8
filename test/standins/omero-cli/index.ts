import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stand-in `omero` executable (a Python 3 script: argparse parses as OMERO.py's does). */
export const OMERO_STANDIN = fileURLToPath(new URL('./omero', import.meta.url));

export type StandinFailure =
  | 'refuse_connection'
  | 'no_transfer_plugin'
  /** Every import fails on the server (after the upload). */
  | 'import'
  | 'lost_connection_during_import'
  | 'hang'
  | 'hql_unreachable'
  /** Unpack is refused transfer.xml (PermissionError), as a mount enforcing iRODS permissions does. */
  | 'transfer_xml_permission'
  /** `omero delete` loses its connection once logged in, before the server deletes anything. */
  | 'delete_unreachable';

/**
 * How the import of one path fails (see importer_output.py): `unreadable` (missing or refused:
 * "No imports found"), `no_reader` ("No imports due to errors!"), `server_import` (the server
 * fails it after the upload), and for ln_s imports only `managed_repository` (the agent host
 * cannot reach OMERO's ManagedRepository) and `server_read` (the server cannot read the link).
 */
export type StandinImportFailure = 'unreadable' | 'no_reader' | 'server_import' | 'managed_repository' | 'server_read';

export interface StandinControl {
  /** The only password the "server" accepts. */
  password?: string;
  /** Groups the account is in (default: any); another `-g` is refused as the real server refuses it. */
  groups?: string[];
  fail?: StandinFailure | null;
  /** Per archive path (or any part of it): how its import fails. */
  import_failures?: Record<string, StandinImportFailure>;
  /** `omero obj` loses its connection after this many actions of one call (they stay done). */
  obj_lost_connection_after?: number | null;
  /** The CLI behaves as OMERO.py run by root does: it refuses to start. */
  run_as_root?: boolean;
  /**
   * Paths under `mount` are read from iRODS through the HTTP API (an NFSRODS mount showing its
   * `irods_mount_point`, `mount_point` here: the zone by default).
   */
  nfsrods?: { url: string; zone: string; mount: string; user: string; password: string; mount_point?: string };
  /**
   * Other OMERO servers, by `host:port`: a call addressed there (`-s/-p`, or the current
   * session's) works on that server's own state, with its own password and groups.
   */
  servers?: Record<string, { password?: string; groups?: string[] }>;
}

/** One recorded call: what the CLI received and how it authenticated. */
export interface StandinCall {
  argv: string[];
  cwd: string;
  env: { OMERO_PASSWORD: boolean; OMERO_SESSIONDIR: string | null };
  auth?: 'password_env' | 'password_argv' | 'session' | 'key';
  /** The `host:port` the call was addressed to. */
  server?: string;
  unpack?: { folder: string; ln_s: boolean; merge: boolean };
  exit: number;
}

export interface StandinState {
  images: Record<string, { name: string; fileset: string; owner: string; group: string; annotations: { ns: string; origin_image_id: string }[] }>;
  filesets: Record<string, { client_paths: string[]; in_place: boolean }>;
  projects: Record<string, { name: string; datasets: string[] }>;
  datasets: Record<string, { name: string; images: string[] }>;
  screens: Record<string, { name: string; plates: string[] }>;
  plates: Record<string, { name: string; images: string[]; annotations?: { ns: string; origin_plate_id: string }[] }>;
  sessions: Record<string, { alive: boolean; user: string }>;
  /** What `omero obj new MapAnnotation` made (obj_plugin.py): its namespace and pairs, in order. */
  annotations?: Record<string, { class: string; ns?: string; map: [string, string][]; owner: string; group: string }>;
  /** What `omero obj new <Type>AnnotationLink` made: parent `Image:12`, child `MapAnnotation:34`. */
  annotation_links?: Record<string, { class: string; parent: string; child: string; owner: string }>;
}

/** A MapAnnotation as a test reads it back: its id, namespace and pairs. */
export interface StandinMapAnnotation {
  id: string;
  ns: string | undefined;
  map: [string, string][];
}

/** The MapAnnotations linked to an object (`Image:12`, `Project:3`), in link order. */
export function mapAnnotationsOn(state: StandinState, object: string): StandinMapAnnotation[] {
  const out: StandinMapAnnotation[] = [];
  const links = Object.entries(state.annotation_links ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  for (const [, link] of links) {
    if (link.parent !== object) continue;
    const id = link.child.split(':')[1] ?? '';
    const annotation = state.annotations?.[id];
    if (annotation?.class === 'MapAnnotation') out.push({ id, ns: annotation.ns, map: annotation.map });
  }
  return out;
}

export interface OmeroStandin {
  readonly executable: string;
  readonly dir: string;
  readonly password: string;
  /** Settings that point an agent at this stand-in (OMERO_ENABLED, OMERO_CLI, the connection, OMERO_CLI_ENV). */
  agentEnv(extra?: Record<string, string>): Record<string, string>;
  /**
   * The same, with the servers described by a servers file (OMERO_SERVERS_FILE) instead of the
   * one-server settings; `servers` writes it: this stand-in's main server as `main` (the default
   * unless another says `default: true`) and the others given, their passwords in files.
   */
  agentEnvWithServers(servers: readonly StandinServerEntry[], extra?: Record<string, string>): Promise<Record<string, string>>;
  /** Changes the stand-in's behaviour (merged into the current control; `fail: null` clears a failure). */
  control(control: StandinControl): Promise<void>;
  calls(): Promise<StandinCall[]>;
  /** The main server's state, or that of another server of `servers` (`host:port`). */
  state(address?: string): Promise<StandinState>;
  /**
   * Changes the "server" as an OMERO user would (deleting an annotation, say); only while no CLI
   * call runs (the tests' own sequencing guarantees it).
   */
  editState(change: (state: StandinState) => void): Promise<void>;
  close(): Promise<void>;
}

/** One entry of a servers file the stand-in writes (docs/omero.md, "Several OMERO servers"). */
export interface StandinServerEntry {
  readonly name: string;
  readonly host: string;
  readonly port?: number;
  readonly user: string;
  /** Written to a password file beside the servers file. */
  readonly password?: string;
  readonly group?: string;
  readonly mode?: 'ln_s' | 'upload';
  readonly mount?: string;
  readonly mount_collection?: string;
  readonly default?: boolean;
}

/** A stand-in OMERO server + CLI for one test file: its own state, call log and control file. */
export async function startOmeroStandin(options: { password?: string; control?: StandinControl } = {}): Promise<OmeroStandin> {
  const dir = await mkdtemp(join(tmpdir(), 'omero-standin-'));
  const files = { state: join(dir, 'state.json'), log: join(dir, 'calls.jsonl'), control: join(dir, 'control.json') };
  const password = options.password ?? 'omero-standin-pass';
  let current: StandinControl = { password, ...options.control };
  let serverFiles = 0;
  const agentEnv = (extra: Record<string, string> = {}): Record<string, string> => {
    return {
      OMERO_ENABLED: 'true',
      OMERO_CLI: OMERO_STANDIN,
      OMERO_HOST: 'omero.test',
      OMERO_PORT: '4064',
      OMERO_USER: 'agent',
      OMERO_PASSWORD: password,
      OMERO_CLI_ENV: 'OMERO_STANDIN_STATE OMERO_STANDIN_LOG OMERO_STANDIN_CONTROL',
      OMERO_STANDIN_STATE: files.state,
      OMERO_STANDIN_LOG: files.log,
      OMERO_STANDIN_CONTROL: files.control,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
      ...extra,
    };
  };

  await writeFile(files.control, JSON.stringify(current));
  return {
    executable: OMERO_STANDIN,
    dir,
    password,
    agentEnv,
    async agentEnvWithServers(servers, extra = {}) {
      const entries = [];
      for (const { password: secret, ...entry } of servers) {
        const passwordFile = join(dir, `${entry.name}.password`);
        if (secret !== undefined) await writeFile(passwordFile, `${secret}\n`);
        entries.push({ ...entry, ...(secret !== undefined ? { password_file: passwordFile } : {}) });
      }
      const file = join(dir, `servers-${String(++serverFiles)}.json`);
      await writeFile(file, JSON.stringify({ servers: entries }));
      const env = agentEnv(extra);
      for (const key of ['OMERO_HOST', 'OMERO_PORT', 'OMERO_USER', 'OMERO_PASSWORD']) {
        if (!(key in extra)) Reflect.deleteProperty(env, key);
      }
      return { ...env, OMERO_SERVERS_FILE: file };
    },
    async control(control) {
      current = { ...current, ...control };
      await writeFile(files.control, JSON.stringify(current));
    },
    async calls() {
      let text = '';
      try {
        text = await readFile(files.log, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StandinCall);
    },
    async state(address) {
      const path = address === undefined ? files.state : `${files.state}.${address.replace(/[^A-Za-z0-9]/g, '_')}`;
      return JSON.parse(await readFile(path, 'utf8')) as StandinState;
    },
    async editState(change) {
      const state = JSON.parse(await readFile(files.state, 'utf8')) as StandinState;
      change(state);
      await writeFile(`${files.state}.edit`, JSON.stringify(state));
      await rename(`${files.state}.edit`, files.state);
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
