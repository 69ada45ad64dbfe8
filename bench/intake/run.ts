/**
 * Intake benchmark: sustained signed events/s and latency of `POST /v1/events` on loopback,
 * beside two baselines measured in the same run, on the same machine, with the same requests:
 *   (a) a bare fastify route answering the same POST (the HTTP floor),
 *   (b) a bare fastify route doing the minimal durable work (one INSERT of the raw body, one
 *       BullMQ add, no verification).
 * Every request to the agent is a distinct signed event (own webhook id, own archive path in
 * a watched collection), so each one is a real accepted event; the bench checks that afterwards.
 * Then a second pass at half the agent's measured peak rate (autocannon's overallRate) gives the
 * latency an operator sees under normal heavy load.
 *
 *   npx tsx bench/intake/run.ts [--quick] [--duration 10] [--connections 16] [--rounds 2]
 *                               [--agent-log-level info|silent] [--profile]
 *
 * Servers run in child processes (autocannon in this one). Rounds alternate the order of the
 * targets so that load from other users of the machine hits all of them alike; the median of
 * the rounds is reported. Prints, never asserts: the figures are the `ratio` lines.
 */
import autocannon from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasFlag, numberArg, stringArg } from '../support/args.js';
import { AGENT_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { forkChild, siblingModule, type ChildHandle } from '../support/child-process.js';
import { formatProfile, summariseProfiles } from '../support/cpu-profile.js';
import { cpuDelta, postgresCpuMs } from '../support/postgres-cpu.js';
import { atLeast, below, fixed, machineLine, median, out, ratioLine, table } from '../support/report.js';
import { signedEvents } from './signed-events.js';
import { TARGETS, type TargetName } from './targets.js';

interface Pass {
  readonly target: TargetName;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerEvent: number;
  /** PostgreSQL backend CPU per event (NaN for hello-world). */
  readonly pgUsPerEvent: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly sent: number;
}

const LABEL: Record<TargetName, string> = {
  hello: 'hello-world fastify',
  durable: 'minimal durable (INSERT + add)',
  agent: 'agent POST /v1/events',
};

const quick = hasFlag('quick');
const duration = numberArg('duration', quick ? 2 : 10);
const warmup = quick ? 1 : 3;
const connections = numberArg('connections', quick ? 8 : 16);
const rounds = Math.round(numberArg('rounds', quick ? 1 : 2));
const logLevel = stringArg('agent-log-level') ?? 'info';
const profile = hasFlag('profile');
const runTag = Date.now().toString(36);
let passes = 0;

type Target = ChildHandle<{ url: string; database: string | undefined }>;

async function load(
  child: Target,
  name: TargetName,
  seconds: number,
  overallRate?: number,
): Promise<Pass> {
  const events = signedEvents(`${runTag}-${name}-${++passes}`);
  const database = child.ready.database;
  const pg0 = database ? await postgresCpuMs(database) : undefined;
  const cpu0 = await child.request<NodeJS.CpuUsage>('cpu');
  const result = await autocannon({
    url: child.ready.url,
    connections,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
    requests: [{ setupRequest: events.setupRequest }],
  });
  const cpu1 = await child.request<NodeJS.CpuUsage>('cpu');
  const pgMs = database && pg0 ? cpuDelta(pg0, await postgresCpuMs(database)) : Number.NaN;
  const ok = result['2xx'];
  const cpuUs = cpu1.user - cpu0.user + (cpu1.system - cpu0.system);
  return {
    target: name,
    rate: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUsPerEvent: ok ? cpuUs / ok : Number.NaN,
    pgUsPerEvent: ok ? (pgMs * 1000) / ok : Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    sent: events.sent,
  };
}

function passRow(label: string, p: Pass): string[] {
  return [label, fixed(p.rate, 0), fixed(p.p50, 1), fixed(p.p99, 1), fixed(p.cpuUsPerEvent, 0), fixed(p.pgUsPerEvent, 0), String(p.non2xx), String(p.errors)];
}

async function main(): Promise<void> {
  out(`intake bench${quick ? ' (quick)' : ''}: ${connections} connections, ${duration} s per pass after ${warmup} s warm-up, ${rounds} round(s), agent log level ${logLevel}`);
  out(machineLine());

  const profileDir = profile ? await mkdtemp(join(tmpdir(), 'ioa-bench-intake-prof-')) : undefined;
  const children = new Map<TargetName, Target>();
  try {
    // Started together (start-up is not measured); each registers itself so that finally{} closes it.
    const started = await Promise.allSettled(
      TARGETS.map(async (name) => {
        const handle = await forkChild<{ url: string; database: string | undefined }>(siblingModule(import.meta.url, 'target-process'), {
          args: [name, logLevel],
          // The agent with its own V8 flags, as `irods-omero-agent start` runs; baselines as plain node.
          execArgv: name === 'agent' ? AGENT_NODE_FLAGS : [],
          // The agent logs a line per event at info: to a discarded stdout, as to a log shipper's pipe.
          stdout: 'ignore',
        });
        children.set(name, handle);
      }),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const child = (name: TargetName): Target => children.get(name) as Target;

    const sent = new Map<TargetName, number>();
    const count = (p: Pass): Pass => {
      sent.set(p.target, (sent.get(p.target) ?? 0) + p.sent);
      return p;
    };
    const peak: Pass[] = [];
    // Profiled: the agent's measured passes only (the profiler costs a little, so its figures are a bit low).
    if (profileDir) await child('agent').request('profile-start');
    for (let r = 0; r < rounds; r++) {
      const order: TargetName[] = r % 2 === 0 ? ['hello', 'durable', 'agent'] : ['agent', 'durable', 'hello'];
      for (const name of order) {
        count(await load(child(name), name, warmup));
        const p = count(await load(child(name), name, duration));
        peak.push(p);
        out(`  round ${r + 1} ${LABEL[name].padEnd(31)} ${fixed(p.rate, 0).padStart(6)} events/s  p99 ${fixed(p.p99, 1)} ms`);
      }
    }
    const summary = (name: TargetName) => {
      const ps = peak.filter((p) => p.target === name);
      return {
        rate: median(ps.map((p) => p.rate)),
        p50: median(ps.map((p) => p.p50)),
        p99: median(ps.map((p) => p.p99)),
        cpu: median(ps.map((p) => p.cpuUsPerEvent)),
        pg: median(ps.map((p) => p.pgUsPerEvent)),
        non2xx: ps.reduce((n, p) => n + p.non2xx, 0),
        errors: ps.reduce((n, p) => n + p.errors, 0),
      };
    };
    const s = Object.fromEntries(TARGETS.map((t) => [t, summary(t)])) as Record<TargetName, ReturnType<typeof summary>>;

    // Half of each one's own peak: the latency of a busy but not saturated intake.
    const halfAgent = count(await load(child('agent'), 'agent', duration, Math.max(1, Math.round(s.agent.rate / 2))));
    if (profileDir) await child('agent').request('profile-stop', join(profileDir, 'agent.cpuprofile'));
    const halfDurable = count(await load(child('durable'), 'durable', duration, Math.max(1, Math.round(s.durable.rate / 2))));

    out('');
    out(
      table([
        ['median of rounds, full load', 'events/s', 'p50 ms', 'p99 ms', 'node CPU µs/event', 'PostgreSQL CPU µs/event', 'non-2xx', 'errors'],
        ...TARGETS.map((t) => [
          LABEL[t],
          fixed(s[t].rate, 0),
          fixed(s[t].p50, 1),
          fixed(s[t].p99, 1),
          fixed(s[t].cpu, 0),
          fixed(s[t].pg, 0),
          String(s[t].non2xx),
          String(s[t].errors),
        ]),
        [`agent at half its peak (${Math.round(s.agent.rate / 2)}/s)`, ...passRow('', halfAgent).slice(1)],
        [`durable at half its peak (${Math.round(s.durable.rate / 2)}/s)`, ...passRow('', halfDurable).slice(1)],
      ]),
    );

    // Every request to the agent must have been a new, accepted event with its job.
    const counts = await child('agent').request<Record<string, number>>('counts');
    const agentSent = sent.get('agent') ?? 0;
    out('');
    out(`agent recorded: ${JSON.stringify(counts)} for ${agentSent} requests sent`);
    const allAccepted = counts.accepted === agentSent && counts.jobs === agentSent && Object.keys(counts).length === 2;
    if (!allAccepted) out('WARNING: not every request was recorded as a new accepted event: the agent figures are not comparable');
    out('');
    ratioLine('intake agent/minimal-durable events/s', s.agent.rate / s.durable.rate, fixed(s.agent.rate / s.durable.rate, 2), atLeast(0.6, '>= 0.60'));
    ratioLine('intake agent/hello-world events/s', s.agent.rate / s.hello.rate, fixed(s.agent.rate / s.hello.rate, 2));
    ratioLine('intake agent/minimal-durable node CPU per event', s.agent.cpu / s.durable.cpu, fixed(s.agent.cpu / s.durable.cpu, 2));
    ratioLine('intake agent/minimal-durable PostgreSQL CPU per event', s.agent.pg / s.durable.pg, fixed(s.agent.pg / s.durable.pg, 2));
    ratioLine(`intake agent p99 at half peak (${Math.round(s.agent.rate / 2)}/s)`, halfAgent.p99, `${fixed(halfAgent.p99, 1)} ms`, below(50, '< 50 ms'));
    if (!allAccepted) process.exitCode = 1;
  } finally {
    await Promise.allSettled([...children.values()].map((c) => c.close()));
    if (profileDir) {
      out('');
      out('agent process CPU profile (the load passes, start-up excluded):');
      out(formatProfile(await summariseProfiles(profileDir)));
      await rm(profileDir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
