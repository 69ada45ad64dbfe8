/**
 * Expand benchmark: the real agent expands generated archives that sit in the iRODS HTTP API
 * stand-in, beside baselines measured in the same run on the same disk:
 *   - `tar -xf` / `unzip` of the same archive to local disk (what the bytes cost without iRODS),
 *   - the raw transport: the archive itself uploaded as one object by the same client through
 *     the same stand-in (what the HTTP API path can carry at best),
 *   - the same upload verified as the expand step verifies a file (SHA-256 on the way, compared
 *     with iRODS's checksum): no target, it tells the verification's share of the gap apart,
 *   - the stand-in's own rate for small objects (one write each, and write + checksum + AVU as
 *     the expand step does per file), since with small files the stand-in is the bottleneck.
 * Big and small files are two archives (phases), so bytes/s and files/s are each measured alone.
 *
 *   npx tsx bench/expand/run.ts [--quick] [--size-gib 1] [--small-files 10000] [--formats tar,zip] [--rounds 3] [--vault tmpfs|disk] [--cold] [--profile]
 *
 * The archives are generated to temp files (pseudo-random, never held in memory), uploaded once,
 * and expanded by the agent (HTTP app + workers, production settings) in a child process of its
 * own per phase, whose peak RSS is sampled. The stand-in runs in another process, its vault on
 * tmpfs when there is room (see vault-place.ts). Each measured operation starts on warm memory
 * (see memory-warmth.ts). The expand step's own duration comes from job_steps. The big phase runs
 * `--rounds` times (upload, expand, upload, expand, …, upload: each expansion bracketed by two
 * uploads), and its ratio is the median expansion rate over the median upload rate: on these
 * shared machines one upload or one expansion alone varies by a quarter from run to run. Prints,
 * never asserts: the figures are `ratio` lines.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isNotFound } from '../../src/irods/errors.js';
import type { IrodsClient } from '../../src/irods/index.js';
import { hasFlag, numberArg, stringArg } from '../support/args.js';
import { AGENT_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { forkChild, siblingModule, type ChildHandle } from '../support/child-process.js';
import { formatProfile, summariseProfiles } from '../support/cpu-profile.js';
import { atLeast, below, fixed, loadLine, machineLine, median, MiB, out, pct, ratioLine, table } from '../support/report.js';
import { phaseEntries, writeArchiveFile, type ArchiveShape, type BenchFormat, type BenchPhase } from './archives.js';
import { AGENT_ACCOUNT, ALICE, clientFor } from './identities.js';
import { chooseWarmth, warmMemory, WARM_MARGIN_BYTES } from './memory-warmth.js';
import { chooseVault, fileCreateMicros, removeVault, type VaultPlace } from './vault-place.js';
import type { Measured } from './worker-process.js';

const execFileAsync = promisify(execFile);
const GiB = 1024 * MiB;

const quick = hasFlag('quick');
const shape: ArchiveShape = {
  bigFiles: 4,
  bigBytes: Math.round(numberArg('size-gib', quick ? 1 / 64 : 1) * GiB),
  smallFiles: Math.round(numberArg('small-files', quick ? 200 : 10_000)),
  smallMaxBytes: 8 * 1024,
  perFolder: 100,
};
const formats = (stringArg('formats') ?? 'tar,zip').split(',').filter((f): f is BenchFormat => f === 'tar' || f === 'zip');
const smallWriteCount = Math.min(shape.smallFiles, quick ? 200 : 2_000);
const profile = hasFlag('profile');
/** Expansions of the big archive per format (the small phase runs once: its figure is steady). */
const bigRounds = Math.max(1, Math.round(numberArg('rounds', quick ? 1 : 3)));
// At its fullest the vault holds the big archive's bytes twice: an archive and its expansion, or
// the next round's archive and the verified upload (each round's collection goes before the next).
const vaultBytes = 3.5 * shape.bigBytes + 256 * MiB;

interface StepTiming {
  readonly step: string;
  readonly seconds: number;
  readonly attempts: number;
  readonly detail: Record<string, unknown>;
}
type Upload = Measured & { bytes: number; parallel: boolean };
type Expansion = Measured & { state: string; error: string | null; eventToDoneSeconds: number; steps: StepTiming[]; idleRssBytes: number };
type SmallWrites = Measured & { files: number; requests: number };

interface Timed<T> {
  readonly result: T;
  readonly standinCpu: number;
}

interface PhaseResult {
  readonly format: BenchFormat;
  readonly phase: BenchPhase;
  readonly archiveBytes: number;
  readonly payloadBytes: number;
  readonly files: number;
  readonly localSeconds: number;
  /** The archive uploaded as one object; for the big phase once more after each expansion. */
  readonly uploads: readonly Timed<Upload>[];
  /** Big phase, after each round's upload: the same upload verified as the expand step verifies a file. */
  readonly verifiedUploads: readonly Timed<Upload>[];
  /** Small phase: the stand-in's own small-object rates, measured right before the expansion. */
  readonly smallWrites?: Record<'write' | 'expand-like', Timed<SmallWrites>>;
  /** One per round, in order; each expanded the archive the upload before it wrote. */
  readonly expansions: readonly Timed<Expansion>[];
  /** The expand step's duration (job_steps), per round. */
  readonly expandSeconds: readonly number[];
}

type Standin = ChildHandle<{ baseUrl: string }>;

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/**
 * Removes a collection tree for good and checks that it is gone: the HTTP API answers a removal
 * iRODS refused with status 0, and a tree left behind would fill the tmpfs vault round by round.
 */
async function removeTree(client: IrodsClient, lpath: string): Promise<void> {
  await client.collections.remove(lpath, { recurse: true, noTrash: true });
  const stillThere = await client.collections.stat(lpath).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
  if (stillThere) throw new Error(`${lpath} is still in iRODS after its removal: the bench's account may not delete it`);
}

type Worker = ChildHandle<Record<string, never>>;

// The agent's process runs with the agent's own V8 flags, as `irods-omero-agent start` does.
const forkWorker = (): Promise<Worker> =>
  forkChild<Record<string, never>>(siblingModule(import.meta.url, 'worker-process'), { execArgv: AGENT_NODE_FLAGS });

/**
 * Runs one command in a fresh worker process (so its peak RSS is that command's own), or in the
 * shared one in --quick mode (start-up time matters more there than clean RSS figures), and
 * reads the stand-in's CPU time beside it.
 */
async function inWorker<T>(standin: Standin, shared: Worker | undefined, cmd: string, args: unknown, profileDir?: string): Promise<{ result: T; standinCpu: number }> {
  const worker = shared ?? (await forkWorker());
  try {
    if (profileDir) {
      await mkdir(join(profileDir, 'agent'), { recursive: true });
      await mkdir(join(profileDir, 'standin'), { recursive: true });
      await worker.request('profile-start');
      await standin.request('profile-start');
    }
    const before = await standin.request<NodeJS.CpuUsage>('cpu');
    const result = await worker.request<T>(cmd, args);
    const after = await standin.request<NodeJS.CpuUsage>('cpu');
    if (profileDir) {
      await worker.request('profile-stop', join(profileDir, 'agent', 'agent.cpuprofile'));
      await standin.request('profile-stop', join(profileDir, 'standin', 'standin.cpuprofile'));
    }
    return { result, standinCpu: cpuSeconds(after) - cpuSeconds(before) };
  } finally {
    if (!shared) await worker.close();
  }
}

/** `tar -xf` or `unzip -q` of the archive into an empty folder on the same disk; seconds. */
async function localExtract(file: string, format: BenchFormat, into: string): Promise<number> {
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  const t0 = performance.now();
  if (format === 'tar') await execFileAsync('tar', ['-xf', file, '-C', into]);
  else await execFileAsync('unzip', ['-q', '-o', file, '-d', into]);
  const seconds = (performance.now() - t0) / 1000;
  await rm(into, { recursive: true, force: true });
  return seconds;
}

async function main(): Promise<void> {
  out(
    `expand bench${quick ? ' (quick)' : ''}: big phase ${shape.bigFiles} × ${fixed(shape.bigBytes / shape.bigFiles / MiB)} MiB, ` +
      `small phase ${shape.smallFiles} files of 1 B–${shape.smallMaxBytes / 1024} KiB (${shape.perFolder} a folder), formats ${formats.join(', ')}`,
  );
  out(machineLine());
  const scratch = await mkdtemp(join(tmpdir(), 'ioa-bench-expand-'));
  out(`scratch (archives, local extraction): ${scratch}`);
  let vault: VaultPlace | undefined;
  let standin: Standin | undefined;
  let shared: Worker | undefined;
  const results: PhaseResult[] = [];
  const profiles: { label: string; dir: string }[] = [];
  // Ctrl-C reaches the children too, and they drop their own databases; the archives and the
  // vault are ours to remove, once the stand-in has stopped writing into it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([shared?.close(10_000), standin?.close(10_000)])
        .then(() => Promise.all([rm(scratch, { recursive: true, force: true, maxRetries: 3 }), vault && removeVault(vault)]))
        .finally(() => process.exit(130));
    });
  }
  try {
    vault = await chooseVault(stringArg('vault'), scratch, vaultBytes);
    const warmth = await chooseWarmth(hasFlag('cold') ? '--cold' : quick ? '--quick' : undefined, vaultBytes);
    out(`memory: ${warmth.why}`);
    const here = await fileCreateMicros(vault.dir);
    const there = vault.kind === 'disk' ? here : await fileCreateMicros(scratch);
    out(
      `stand-in vault: ${vault.dir} (${vault.kind}, ${vault.why}); creating a 4 KiB file costs ${fixed(here, 0)} µs of CPU there` +
        (vault.kind === 'disk' ? '' : `, ${fixed(there, 0)} µs on the scratch disk`),
    );
    standin = await forkChild<{ baseUrl: string }>(siblingModule(import.meta.url, 'standin-process'), { args: [vault.dir] });
    const baseUrl = standin.ready.baseUrl;
    if (quick) shared = await forkWorker();
    const admin = clientFor(baseUrl, AGENT_ACCOUNT);
    // Alice's folders are removed by Alice: a rodsadmin outside admin mode may not delete her
    // archive, and iRODS answers such a refused removal with success.
    const alice = clientFor(baseUrl, ALICE);
    const run = <T>(cmd: string, args: unknown, profileDir?: string): Promise<Timed<T>> => inWorker<T>(standin as Standin, shared, cmd, args, profileDir);
    // What each warm-up cost, printed with the phase: seconds near 0.5 per GiB mean the pages
    // were warm already, near 2.7 that they had gone back to the host.
    let warmups: number[] = [];
    const warm = (bytes: number): void => {
      if (warmth.dir) warmups.push(warmMemory(warmth.dir, bytes + WARM_MARGIN_BYTES).cpuSeconds);
    };
    try {
      for (const format of formats) {
        for (const phase of ['big', 'small'] as const) {
          const entries = phaseEntries(phase, shape);
          const file = join(scratch, `${phase}.${format}`);
          const archiveBytes = await writeArchiveFile(file, format, phase, entries);
          const payloadBytes = entries.reduce((n, e) => n + e.size, 0);
          const localSeconds = await localExtract(file, format, join(scratch, 'extract'));
          const folder = `/tempZone/home/alice/bench-${phase}-${format}`;
          // Each round's archive in a collection of its own, removed with its expansion.
          const round = (i: number): string => `${folder}/round-${i}`;
          const lpath = (i: number): string => `${round(i)}/${phase}-archive.${format}`;
          const rounds = phase === 'big' ? bigRounds : 1;
          warmups = [];
          warm(archiveBytes);
          const uploads = [await run<Upload>('upload', { baseUrl, file, lpath: lpath(1) })];
          let smallWrites: PhaseResult['smallWrites'];
          if (phase === 'small') {
            // The stand-in's own rate, measured next to the expansion so that both see the same machine load.
            const writes = async (perFile: 'write' | 'expand-like'): Promise<Timed<SmallWrites>> => {
              const collection = `/tempZone/home/rods/bench-small-writes-${format}-${perFile}`;
              const w = await run<SmallWrites>('small-writes', { baseUrl, collection, count: smallWriteCount, maxBytes: shape.smallMaxBytes, concurrency: 8, perFile });
              await removeTree(admin, collection);
              return w;
            };
            smallWrites = { write: await writes('write'), 'expand-like': await writes('expand-like') };
          }
          const expansions: Timed<Expansion>[] = [];
          const verifiedUploads: Timed<Upload>[] = [];
          for (let i = 1; i <= rounds; i++) {
            // The first round only is profiled: the profiler's own cost would weigh on every round.
            const profileDir = profile && i === 1 ? join(scratch, `profile-${format}-${phase}`) : undefined;
            if (profileDir) profiles.push({ label: `${format} ${phase}`, dir: profileDir });
            warm(archiveBytes);
            expansions.push(await run<Expansion>('expand', { baseUrl, lpath: lpath(i), size: archiveBytes, timeoutSeconds: Math.max(600, archiveBytes / MiB) }, profileDir));
            // The raw transport again after each expansion: it brackets that one and feeds the next.
            if (phase === 'big') {
              await removeTree(alice, round(i));
              warm(archiveBytes);
              uploads.push(await run<Upload>('upload', { baseUrl, file, lpath: lpath(i + 1) }));
              // What the end-to-end verification alone costs: both hashes, no read-back, no archive.
              const verified = `${folder}/verified-${i}`;
              warm(archiveBytes);
              verifiedUploads.push(await run<Upload>('upload', { baseUrl, file, lpath: `${verified}/${phase}-archive.${format}`, verified: true }));
              await removeTree(alice, verified);
            }
          }
          const r: PhaseResult = {
            format,
            phase,
            archiveBytes,
            payloadBytes,
            files: entries.length,
            localSeconds,
            uploads,
            verifiedUploads,
            smallWrites,
            expansions,
            expandSeconds: expansions.map((e) => e.result.steps.find((st) => st.step === 'expand')?.seconds ?? Number.NaN),
          };
          results.push(r);
          out(
            `  ${format} ${phase.padEnd(5)} ${fixed(archiveBytes / MiB).padStart(7)} MiB, ${entries.length} files: local ${fixed(localSeconds, 2)} s, ` +
              `upload ${uploads.map((u) => `${fixed(u.result.seconds, 2)} s`).join(' / ')}, ` +
              (verifiedUploads.length ? `verified upload ${verifiedUploads.map((u) => `${fixed(u.result.seconds, 2)} s`).join(' / ')}, ` : '') +
              `expand step ${r.expandSeconds.map((x) => `${fixed(x, 2)} s`).join(' / ')}; ` +
              (warmups.length ? `warm-ups ${warmups.map((w) => fixed(w, 2)).join(' / ')} s CPU; ` : '') +
              loadLine(),
          );
          for (const [i, e] of expansions.entries()) {
            const ex = e.result;
            out(`    round ${i + 1}: job ${ex.state}${ex.error ? `: ${ex.error}` : ''}; ${ex.steps.map((st) => `${st.step} ${fixed(st.seconds, 2)} s×${st.attempts}`).join(', ')}`);
          }
          await removeTree(alice, folder);
          await rm(file, { force: true });
        }
      }
      report(results);
    } finally {
      await Promise.all([admin.close(), alice.close()]);
    }
  } finally {
    await shared?.close();
    await standin?.close();
    for (const p of profiles) {
      for (const who of ['agent', 'standin']) {
        const dir = join(p.dir, who);
        if (!(await readdir(dir).catch(() => [])).length) continue;
        out('');
        out(`CPU profile, ${p.label} expansion, ${who === 'agent' ? 'agent process (from the event to the job done)' : 'stand-in process'}:`);
        out(formatProfile(await summariseProfiles(dir)));
      }
    }
    await rm(scratch, { recursive: true, force: true });
    if (vault) await removeVault(vault);
  }
}

const mibs = (bytes: number, s: number): number => bytes / MiB / s;
const rates = (uploads: readonly Timed<Upload>[]): number[] => uploads.map((u) => mibs(u.result.bytes, u.result.seconds));
const uploadRates = (r: PhaseResult): number[] => rates(r.uploads);
const expandRates = (r: PhaseResult): number[] => r.expandSeconds.map((x) => mibs(r.payloadBytes, x));
const medianOf = <T>(xs: readonly T[], value: (x: T) => number): number => median(xs.map(value));
/** The round whose expand step took the median time (the lower middle one for an even count). */
const medianRound = (r: PhaseResult): Timed<Expansion> => {
  const order = r.expandSeconds.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  return r.expansions[order[Math.floor((order.length - 1) / 2)]?.i ?? 0] as Timed<Expansion>;
};
const peakRss = (r: PhaseResult): number => Math.max(...r.expansions.map((e) => Math.max(e.result.peakRssBytes, e.result.maxRssBytes)));

function report(results: readonly PhaseResult[]): void {
  out('');
  out(
    table([
      ['phase', 'archive MiB', 'files', 'local MiB/s', 'local files/s', 'upload MiB/s', 'verified upload MiB/s', 'expand MiB/s', 'expand files/s', 'event→done s'],
      ...results.map((r) => [
        `${r.format} ${r.phase}`,
        fixed(r.archiveBytes / MiB),
        String(r.files),
        fixed(mibs(r.payloadBytes, r.localSeconds)),
        fixed(r.files / r.localSeconds, 0),
        uploadRates(r).map((x) => fixed(x)).join(' / '),
        rates(r.verifiedUploads).map((x) => fixed(x)).join(' / ') || '–',
        expandRates(r).map((x) => fixed(x)).join(' / '),
        r.expandSeconds.map((x) => fixed(r.files / x, 0)).join(' / '),
        r.expansions.map((e) => fixed(e.result.eventToDoneSeconds, 1)).join(' / '),
      ]),
    ]),
  );
  out(
    '(local: tar -xf / unzip -q to the scratch disk; upload: the archive as one object by the same client through the same stand-in, ' +
      'big phase before the first expansion and after each; verified upload: the same, hashed on the way and compared with iRODS\'s checksum, ' +
      'after each round; expand: one figure per round)',
  );
  out('');
  out(
    table([
      ['phase', 'agent RSS idle→peak MiB', 'expand: agent CPU s', 'stand-in CPU s', 'upload: client CPU s', 'stand-in CPU s'],
      ...results.map((r) => {
        const ex = medianRound(r);
        return [
          `${r.format} ${r.phase}`,
          `${fixed(ex.result.idleRssBytes / MiB, 0)} → ${fixed(peakRss(r) / MiB, 0)}`,
          fixed(ex.result.cpuSeconds, 1),
          fixed(ex.standinCpu, 1),
          fixed(medianOf(r.uploads, (u) => u.result.cpuSeconds), 1),
          fixed(medianOf(r.uploads, (u) => u.standinCpu), 1),
        ];
      }),
    ]),
  );
  out(
    '(agent: one process with the HTTP app and the workers, as `irods-omero-agent start`; RSS peak: the kernel high-water mark VmHWM, ' +
      'or 250 ms samples, the highest of the rounds; CPU: the median round, and the median upload)',
  );
  for (const r of results) {
    if (!r.smallWrites) continue;
    const w = r.smallWrites.write;
    const like = r.smallWrites['expand-like'];
    out(
      `stand-in before ${r.format} small, ${smallWriteCount} objects 8 at a time: ${fixed(w.result.files / w.result.seconds, 0)} files/s with one write each ` +
        `(stand-in CPU ${pct(w.standinCpu / w.result.seconds)}), ${fixed(like.result.files / like.result.seconds, 0)} files/s with write + checksum + AVU ` +
        `as the expand step does (stand-in CPU ${pct(like.standinCpu / like.result.seconds)})`,
    );
  }
  out('');
  for (const r of results) {
    const failures = r.expansions.map((e) => e.result).filter((ex) => ex.state !== 'succeeded');
    for (const ex of failures) out(`WARNING: ${r.format} ${r.phase}: the job ended ${ex.state} (${ex.error ?? ''}); its figures are not valid`);
    const rss = peakRss(r);
    const expandSeconds = median(r.expandSeconds);
    if (r.phase === 'big') {
      const ratio = median(expandRates(r)) / median(uploadRates(r));
      // Each round beside the two uploads around it: how far one run alone could have strayed.
      const perRound = expandRates(r).map((x, i) => x / median(uploadRates(r).slice(i, i + 2)));
      const spread = perRound.length > 1 ? `; round by round ${perRound.map((x) => fixed(x, 2)).join(' / ')}` : '';
      ratioLine(`expand ${r.format} big-file MiB/s / raw transport MiB/s`, ratio, `${fixed(ratio, 2)} (${pct(ratio)}${spread})`, atLeast(0.5, '>= 0.50'));
      if (r.verifiedUploads.length) {
        // No target: it shows how much of the gap to the raw transport is the verification.
        const verified = median(expandRates(r)) / median(rates(r.verifiedUploads));
        ratioLine(`expand ${r.format} big-file MiB/s / verified upload MiB/s`, verified, fixed(verified, 2));
      }
      const local = r.localSeconds / expandSeconds;
      ratioLine(`expand ${r.format} big-file MiB/s / ${r.format === 'tar' ? 'tar -xf' : 'unzip'} MiB/s`, local, fixed(local, 2));
    } else {
      const rate = r.files / expandSeconds;
      ratioLine(`expand ${r.format} small files/s`, rate, fixed(rate, 0), atLeast(1000, '>= 1000'));
      const like = r.smallWrites?.['expand-like'].result;
      if (like) {
        const ratio = rate / (like.files / like.seconds);
        ratioLine(`expand ${r.format} small files/s / stand-in write+checksum+AVU files/s`, ratio, fixed(ratio, 2));
      }
    }
    ratioLine(`expand ${r.format} ${r.phase} peak RSS`, rss / MiB, `${fixed(rss / MiB, 0)} MiB`, below(300, '< 300 MiB'));
    if (failures.length) process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
