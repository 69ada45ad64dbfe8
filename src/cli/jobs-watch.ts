import cliProgress from 'cli-progress';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes } from '../archive/format-bytes.js';
import type { JobDetail } from '../http/routes/jobs-schemas.js';
import type { AdminClient } from './admin-client.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { duration, outOf } from './jobs-format.js';

/** Rate and ETA over the last few seconds, so a burst or a stall shows soon, yet numbers do not jitter. */
const RATE_WINDOW_MS = 10_000;
/** Without a terminal, a line at most this often (plus one at each change of state or step). */
const PLAIN_EVERY_MS = 5_000;

const FINISHED: Record<string, number> = { succeeded: ExitCode.ok, failed: ExitCode.failure, cancelled: ExitCode.cancelled };

interface Sample {
  readonly at: number;
  readonly done: number;
}

export interface WatchFrame {
  readonly state: string;
  readonly step: string;
  readonly entriesDone: number | null;
  readonly entriesTotal: number | null;
  readonly bytesDone: number | null;
  readonly bytesTotal: number | null;
  /** Per second, of bytes when the job reports bytes, else of entries. */
  readonly rate: number | null;
  readonly etaSeconds: number | null;
  readonly unit: 'bytes' | 'entries';
  /**
   * Whether the totals are those of what the archive expands to. A zip's directory says them
   * before the first byte; a tar has none, so until it has been read to its end only the
   * archive's own size is known, which is not the size it expands to (a .tar.gz expands to
   * more): no total, no percentage and no ETA are shown from it.
   */
  readonly totalsKnown: boolean;
}

/** Follows the progress of one job: what the bar shows, from successive polls. */
export class ProgressTracker {
  private samples: Sample[] = [];

  frame(job: Pick<JobDetail, 'state' | 'step' | 'progress'>, now = Date.now()): WatchFrame {
    const p = job.progress;
    const unit = p.bytes_total !== null || p.bytes_done !== null ? 'bytes' : 'entries';
    const done = (unit === 'bytes' ? p.bytes_done : p.entries_done) ?? 0;
    const totalsKnown = p.entries_total !== null;
    const total = totalsKnown ? (unit === 'bytes' ? p.bytes_total : p.entries_total) : null;
    // A replay or a retry can move progress backwards: start the window again.
    const last = this.samples[this.samples.length - 1];
    if (last && done < last.done) this.samples = [];
    this.samples.push({ at: now, done });
    this.samples = this.samples.filter((s) => now - s.at <= RATE_WINDOW_MS);
    const first = this.samples[0];
    const span = first ? (now - first.at) / 1000 : 0;
    const rate = first && span >= 0.5 ? (done - first.done) / span : null;
    const etaSeconds = rate && rate > 0 && total !== null ? Math.max(0, (total - done) / rate) : null;
    return {
      state: job.state,
      step: job.step,
      entriesDone: p.entries_done,
      entriesTotal: p.entries_total,
      bytesDone: p.bytes_done,
      bytesTotal: totalsKnown ? p.bytes_total : null,
      rate,
      etaSeconds,
      unit,
      totalsKnown,
    };
  }
}

export function frameText(f: WatchFrame): string {
  const parts = [`${f.state} ${f.step}`];
  if (f.entriesDone !== null || f.entriesTotal !== null) parts.push(`${outOf(String(f.entriesDone ?? 0), f.entriesTotal === null ? null : String(f.entriesTotal))} entries`);
  if (f.bytesDone !== null || f.bytesTotal !== null) parts.push(outOf(formatBytes(f.bytesDone ?? 0), f.bytesTotal === null ? null : formatBytes(f.bytesTotal)));
  if (f.rate !== null) parts.push(f.unit === 'bytes' ? `${formatBytes(Math.round(f.rate))}/s` : `${f.rate.toFixed(1)} entries/s`);
  if (f.etaSeconds !== null) parts.push(`ETA ${duration(f.etaSeconds)}`);
  return parts.join(', ');
}

function finalText(job: JobDetail): string {
  if (job.state === 'succeeded') return `job ${job.id} succeeded${job.target_path ? `: ${job.target_path}` : ''}`;
  if (job.state === 'cancelled') return `job ${job.id} cancelled at ${job.step}`;
  const error = job.error ? `: ${job.error.code}: ${job.error.message ?? ''}` : '';
  return `job ${job.id} failed at ${job.step}${error}`;
}

/** A bar on a terminal: entries, bytes, rate and ETA beside it; the text alone while no total is known. */
function terminalBar(stream: NodeJS.WriteStream) {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: (options, params, payload: { text: string; totalsKnown: boolean }) =>
        payload.totalsKnown ? `${cliProgress.Format.BarFormat(params.progress, options)} ${Math.round(params.progress * 100)}% | ${payload.text}` : payload.text,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // We poll; redraw as the polls come, not on a timer of its own.
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(f: WatchFrame) {
      const total = (f.unit === 'bytes' ? f.bytesTotal : f.entriesTotal) ?? 0;
      const done = (f.unit === 'bytes' ? f.bytesDone : f.entriesDone) ?? 0;
      const payload = { text: frameText(f), totalsKnown: f.totalsKnown };
      if (!started) {
        bar.start(Math.max(total, 1), Math.min(done, Math.max(total, 1)), payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(Math.min(done, Math.max(total, 1)), payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * `jobs watch`: polls the job until it ends and shows its progress — a live bar on a terminal,
 * a line now and then otherwise, one JSON line per change with --json. Returns the exit code of
 * the job's outcome: 0 succeeded, 1 failed, 6 cancelled.
 */
export async function watchJob(
  client: AdminClient,
  io: CliIo,
  id: string,
  options: { intervalMs: number; json: boolean; signal?: AbortSignal },
): Promise<number> {
  const tracker = new ProgressTracker();
  const bar = !options.json && io.progress ? terminalBar(io.progress) : undefined;
  let lastLine = '';
  let lastKey = '';
  let lastPrinted = 0;
  try {
    for (;;) {
      const job = await client.getJob(id, { auditLimit: 0 });
      const frame = tracker.frame(job);
      const outcome = FINISHED[job.state];
      if (options.json) {
        const line = JSON.stringify({ job_id: job.id, ...frame, final: outcome !== undefined });
        if (line !== lastLine || outcome !== undefined) io.out(line);
        lastLine = line;
      } else if (bar) {
        bar.update(frame);
      } else {
        const key = `${frame.state} ${frame.step}`;
        const text = frameText(frame);
        if (outcome === undefined && (key !== lastKey || (text !== lastLine && Date.now() - lastPrinted >= PLAIN_EVERY_MS))) {
          io.err(text);
          lastPrinted = Date.now();
          lastLine = text;
        }
        lastKey = key;
      }
      if (outcome !== undefined) {
        bar?.stop();
        if (!options.json) io.out(finalText(job));
        return outcome;
      }
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    }
  } finally {
    bar?.stop();
  }
}
