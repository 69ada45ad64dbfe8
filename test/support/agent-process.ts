import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { signWebhook } from '../../src/intake/webhook-signature.js';
import { TEST_SECRET } from './agent.js';
import { waitFor } from './wait.js';

/** The built CLI as a process, with its JSON log lines collected as they come. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}dist/src/cli/main.js`;

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON line of stdout so far, parsed. */
  readonly lines: readonly LogLine[];
  /** Everything that was not a JSON line (stderr, stray output). */
  readonly other: () => string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `irods-omero-agent <command>` with exactly `env` (and PATH). */
export function startAgentProcess(command: 'start' | 'serve' | 'work', env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [CLI, command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
  const lines: LogLine[] = [];
  let other = '';
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        other += `${line}\n`;
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (other += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid as number,
    lines,
    other: () => other,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** POSTs `event` to a running agent's /v1/events, signed with the test secret as the rules sign. */
export function postSignedEvent(url: string, event: unknown): Promise<Response> {
  const body = JSON.stringify(event);
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(TEST_SECRET, `msg_${randomUUID()}`, new Date(), body) },
    body,
  });
}

/** Polls the job a 202 pointed to (its Location) through the admin API until it succeeds; throws if it fails. */
export async function waitForJobThroughApi(url: string, location: string, token: string): Promise<Record<string, unknown>> {
  return waitFor(
    'the job to succeed',
    async () => {
      const answer = (await (await fetch(`${url}${location}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        state?: string;
        job?: { state?: string };
      };
      const state = answer.state ?? answer.job?.state;
      if (state === 'failed') throw new Error(`job failed: ${JSON.stringify(answer)}`);
      return state === 'succeeded' ? answer : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}
