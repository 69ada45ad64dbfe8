import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Drives the Python rule module under the rule-engine stand-in
 * (test/standins/irods-rule-engine/run_scenario.py): each step is what a client does, the
 * stand-in fires the PEPs iRODS would fire, and the delay server runs the queued POSTs in
 * compressed time. Runs asynchronously so the test's HTTP receiver keeps answering meanwhile.
 */
/** The repository root: the nearest folder up with a package.json (works from src and from dist). */
function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'rules'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package.json and rules/)');
    dir = parent;
  }
  return dir;
}
const root = repositoryRoot();
export const RULES_PATH = path.join(root, 'rules/python/irods_omero_agent_rules.py');
const RUNNER = path.join(root, 'test/standins/irods-rule-engine/run_scenario.py');
// The system interpreter when there is one: a pyenv shim costs ~0.4 s per start. PYTHON overrides.
const PYTHON = process.env['PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export type Step = Record<string, unknown> & { op: string };

/** The iRODS versions the stand-in models (fake_server.py VERSIONS). */
export const IRODS_VERSIONS = ['4.3.5', '5.0.2'] as const;
export type IrodsVersion = (typeof IRODS_VERSIONS)[number];

export interface Scenario {
  readonly config: Record<string, unknown>;
  readonly secret?: string;
  readonly corePy?: string;
  /** Another rule module than rules/python's (e.g. a broken one). */
  readonly rulesPath?: string;
  readonly server?: { disabled_microservices?: string[]; fail_delay_exec?: boolean; fail_genquery?: boolean; version?: IrodsVersion };
  /** The catalog GenQuery sees: paths with their AVUs as [attribute, value, units]. */
  readonly catalog?: { collections?: Record<string, string[][]>; data_objects?: Record<string, string[][]> };
  readonly steps: readonly Step[];
}

export interface PepCall {
  readonly process: string;
  readonly pep: string;
  readonly returned?: unknown;
  readonly raised?: string;
}

export interface QueuedRule {
  readonly id: number;
  readonly name: string;
  readonly exe_time: number;
  readonly frequency: string;
  readonly instance: string;
  readonly priority: number;
  /** The user who queued it: the delay server runs it as that user. */
  readonly user: string;
  readonly hints: string;
}

export interface DelayedRun {
  readonly rule_id: number;
  readonly status: number;
  /** Virtual time of the run. */
  readonly at: number;
  readonly frequency: string;
  readonly priority: number;
  readonly user: string;
  /** Real seconds the run held a delay-server executor. */
  readonly seconds: number;
}

export interface ScenarioResult {
  readonly steps: Record<string, unknown>[];
  readonly peps: PepCall[];
  readonly log: { process: string; target: string; message: string }[];
  readonly queue: QueuedRule[];
  readonly executions: DelayedRun[];
  /** Every microservice (and rule) name the module called through the callback. */
  readonly microservices_called: string[];
  /** Messages PEPs put on the connection's error stack (msiExit): what the client shows. */
  readonly client_errors: { process: string; code: number; message: string }[];
  /** The catalog after the scenario. */
  readonly catalog: { collections: Record<string, string[][]>; data_objects: Record<string, string[][]> };
  /** What the server processes wrote to stderr. */
  readonly stderr: string;
  /** The circuit breaker's marker file after the scenario, or null when there is none. */
  readonly breaker: { failures: number; last_try: number } | null;
}

export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const input = JSON.stringify({
    rules_path: scenario.rulesPath ?? RULES_PATH,
    core_py: scenario.corePy,
    config: scenario.config,
    secret: scenario.secret,
    server: scenario.server ?? {},
    catalog: scenario.catalog ?? {},
    steps: scenario.steps,
  });
  const child = spawn(PYTHON, [RUNNER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
    child.stdin.end(input);
  });
  if (code !== 0) {
    throw new Error(`rule-engine stand-in exited ${String(code)}: ${Buffer.concat(err).toString()}`);
  }
  return { ...(JSON.parse(Buffer.concat(out).toString()) as Omit<ScenarioResult, 'stderr'>), stderr: Buffer.concat(err).toString() };
}

/** Messages the rules wrote to the server log, in order. */
export const serverLog = (r: ScenarioResult): string[] =>
  r.log.filter((l) => l.target === 'serverLog').map((l) => l.message);

// --- what each client does, as the PEPs iRODS fires for it ------------------------------------

/** `iput` (also in parallel mode: the server handles the streams; one put PEP). */
export const iput = (p: string, extra: Record<string, unknown> = {}): Step[] => [{ op: 'put', path: p, ...extra }];

/** python-irodsclient small put: open for write (O_CREAT), write, data_obj_close. */
export const prcPut = (p: string, process = 'prc'): Step[] => [
  { op: 'open', api: 'data_obj_open', path: p, process, as: `${process}:fd` },
  { op: 'close', api: 'data_obj_close', fd: `${process}:fd`, process },
];

/** python-irodsclient parallel put: each extra stream on its own connection opens the replica
 * and closes it with update_status false; the main stream closes last with data_obj_close. */
export const prcParallelPut = (p: string, streams: number): Step[] => {
  const steps: Step[] = [{ op: 'open', api: 'data_obj_open', path: p, process: 'prc-main', as: 'main' }];
  for (let i = 1; i < streams; i++) {
    steps.push({ op: 'open', api: 'replica_open', path: p, process: `prc-${i}`, as: `s${i}` });
  }
  for (let i = 1; i < streams; i++) {
    steps.push({ op: 'close', api: 'replica_close', fd: `s${i}`, update_status: false, process: `prc-${i}` });
  }
  steps.push({ op: 'close', api: 'data_obj_close', fd: 'main', process: 'prc-main' });
  return steps;
};

/** iRODS HTTP API write in N chunks: every request opens the replica and closes it with
 * update_status true, on whichever pooled connection (agent process) serves it. */
export const httpApiChunkedWrite = (p: string, chunks: number, processes = ['http-1', 'http-2']): Step[] =>
  Array.from({ length: chunks }, (_, i) => {
    const process = processes[i % processes.length] ?? 'http-1';
    return [
      { op: 'open', api: 'replica_open', path: p, process, proxy: 'http_api', as: `c${i}` },
      { op: 'close', api: 'replica_close', fd: `c${i}`, update_status: true, process, proxy: 'http_api' },
      { op: 'advance', seconds: 1 },
    ];
  }).flat();

/** S3 API PutObject: one replica_open/replica_close through the S3 API's proxy account. */
export const s3PutObject = (p: string): Step[] => [
  { op: 'open', api: 'replica_open', path: p, process: 's3', proxy: 's3_api', as: 's3' },
  { op: 'close', api: 'replica_close', fd: 's3', process: 's3', proxy: 's3_api' },
];

export const ireg = (p: string, extra: Record<string, unknown> = {}): Step[] => [{ op: 'register', path: p, ...extra }];
export const imv = (src: string, dst: string): Step[] => [{ op: 'rename', src, dst }];
export const icp = (src: string, dst: string): Step[] => [{ op: 'copy', src, dst }];
export const runDelayServer: Step = { op: 'delay_server' };
export const irm = (p: string, extra: Record<string, unknown> = {}): Step[] => [{ op: 'rm', path: p, ...extra }];
export const irmColl = (p: string, extra: Record<string, unknown> = {}): Step[] => [{ op: 'rmcoll', path: p, ...extra }];
export const imvColl = (src: string, dst: string, extra: Record<string, unknown> = {}): Step[] => [{ op: 'rename', src, dst, collection: true, ...extra }];
/** imeta with ModAVUMetadataInp's arguments, e.g. ['add', '-d', path, attribute, value]. */
export const imeta = (args: string[], extra: Record<string, unknown> = {}): Step[] => [{ op: 'imeta', args, ...extra }];
