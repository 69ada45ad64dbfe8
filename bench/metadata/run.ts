/**
 * Metadata benchmark: parse + map a large transfer.xml (10k images, 100k ROIs, 50k annotations
 * by default) and compare with a bare `new XMLParser(sameOptions).parse` of the same file in the
 * same run. Target: the whole parse-and-map path costs under 1.5× the bare parse. Prints, never
 * asserts.
 *
 *   npx tsx bench/metadata/run.ts [--images 10000] [--rois 100000] [--annotations 50000] [--reps 3]
 *
 * Each measurement runs in its own child process so that its peak RSS is its own; bare and full
 * runs alternate so machine load hits both alike. CPU time (user + system) is printed beside wall
 * time: on a shared machine it is the steadier of the two.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { mapTransferToAvus, parseTransferXml, transferXmlParserOptions } from '../../src/ome/index.js';
import { BENCH_DEFAULTS, generateTransferXml, type GenerateOptions } from './generate-transfer-xml.js';
import { residentHighWater } from '../support/peak-rss.js';

type Mode = 'bare' | 'full';

interface Sample {
  readonly mode: Mode;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly parseWallMs?: number;
  readonly mapWallMs?: number;
  readonly peakRssMiB: number;
  readonly baselineRssMiB: number;
  readonly targets?: number;
  readonly avus?: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const raw = at === -1 ? undefined : process.argv[at + 1];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

async function child(mode: Mode, file: string): Promise<Sample> {
  const xml = await readFile(file, 'utf8');
  const bytes = Buffer.byteLength(xml);
  // VmHWM, not getrusage's maxRSS: Linux carries that across exec (a child reports its parent's peak).
  const baselineRssMiB = mib((await residentHighWater()) / 1024);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let parseWallMs: number | undefined;
  let mapWallMs: number | undefined;
  let targets: number | undefined;
  let avus: number | undefined;
  if (mode === 'bare') {
    new XMLParser(transferXmlParserOptions()).parse(xml);
  } else {
    const model = parseTransferXml(xml, { maxBytes: bytes });
    const t1 = performance.now();
    const mapped = mapTransferToAvus(model);
    mapWallMs = performance.now() - t1;
    parseWallMs = t1 - t0;
    targets = mapped.length;
    avus = mapped.reduce((n, t) => n + t.avus.length, 0);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { mode, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, parseWallMs, mapWallMs, peakRssMiB: mib((await residentHighWater()) / 1024), baselineRssMiB, targets, avus };
}

function runChild(mode: Mode, file: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', mode, file], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let sample: Sample | undefined;
    proc.on('message', (m) => {
      sample = m as Sample;
    });
    proc.on('error', reject);
    proc.on('exit', (code) => (sample ? resolve(sample) : reject(new Error(`${mode} run exited with ${code ?? 'a signal'}`))));
  });
}

async function benchFile(options: GenerateOptions): Promise<string> {
  const dir = path.join(os.tmpdir(), 'irods-omero-agent-bench');
  const file = path.join(dir, `transfer-${options.images}-${options.rois}-${options.annotations}.xml`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, generateTransferXml(options));
    await rename(tmp, file);
  }
  return file;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const fmt = (ms: number): string => `${Math.round(ms)} ms`;

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const sample = await child(process.argv[3] === 'full' ? 'full' : 'bare', process.argv[4] ?? '');
    process.send?.(sample);
    return;
  }
  const options: GenerateOptions = {
    images: arg('images', BENCH_DEFAULTS.images),
    rois: arg('rois', BENCH_DEFAULTS.rois),
    annotations: arg('annotations', BENCH_DEFAULTS.annotations),
  };
  const reps = arg('reps', 3);
  const file = await benchFile(options);
  const size = (await stat(file)).size;
  process.stdout.write(
    `transfer.xml: ${options.images} images, ${options.rois} ROIs, ${options.annotations} annotations, ${(size / 1024 / 1024).toFixed(1)} MiB (${file})\n` +
      `node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${reps} runs each\n\n`,
  );
  const samples: Sample[] = [];
  for (let r = 0; r < reps; r++) {
    for (const mode of r % 2 === 0 ? (['bare', 'full'] as const) : (['full', 'bare'] as const)) {
      const s = await runChild(mode, file);
      samples.push(s);
      process.stdout.write(
        `  run ${r + 1} ${mode.padEnd(4)}  wall ${fmt(s.wallMs).padStart(9)}  cpu ${fmt(s.cpuMs).padStart(9)}  peak RSS ${s.peakRssMiB} MiB` +
          (s.mode === 'full' ? `  (parse ${fmt(s.parseWallMs ?? 0)}, map ${fmt(s.mapWallMs ?? 0)}; ${s.targets} targets, ${s.avus} AVUs)` : '') +
          '\n',
      );
    }
  }
  const of = (mode: Mode): Sample[] => samples.filter((s) => s.mode === mode);
  const summary = (mode: Mode) => ({
    wall: median(of(mode).map((s) => s.wallMs)),
    cpu: median(of(mode).map((s) => s.cpuMs)),
    rss: Math.max(...of(mode).map((s) => s.peakRssMiB)),
    baseline: Math.max(...of(mode).map((s) => s.baselineRssMiB)),
  });
  const bare = summary('bare');
  const full = summary('full');
  const parse = median(of('full').map((s) => s.parseWallMs ?? 0));
  const map = median(of('full').map((s) => s.mapWallMs ?? 0));
  process.stdout.write(
    `\nmedian of ${reps}                      wall        cpu    peak RSS (after reading the file)\n` +
      `bare XMLParser.parse          ${fmt(bare.wall).padStart(9)}  ${fmt(bare.cpu).padStart(9)}    ${bare.rss} MiB (${bare.baseline} MiB)\n` +
      `parseTransferXml + mapping    ${fmt(full.wall).padStart(9)}  ${fmt(full.cpu).padStart(9)}    ${full.rss} MiB (${full.baseline} MiB)\n` +
      `  of which parse+model ${fmt(parse)}, mapping ${fmt(map)}\n` +
      `ratio full / bare: wall ${(full.wall / bare.wall).toFixed(2)}, cpu ${(full.cpu / bare.cpu).toFixed(2)}  (target < 1.50)\n`,
  );
}

await main();
