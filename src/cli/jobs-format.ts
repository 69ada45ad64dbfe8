import { formatBytes } from '../archive/format-bytes.js';
import type { BulkReplayReply, JobDetail, JobPage } from '../http/routes/jobs-schemas.js';

type JobSummary = JobPage['items'][number];

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `2026-01-02T03:04:05.678Z` → `2026-01-02 03:04:05Z`: compact and still UTC. */
export function shortTime(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '-';
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

function stateText(job: Pick<JobSummary, 'state' | 'step' | 'stuck' | 'cancel_requested'>): string {
  const where = job.state === 'succeeded' ? '' : ` ${job.state === 'failed' || job.state === 'cancelled' ? 'at' : 'in'} ${job.step}`;
  const marks = [job.stuck ? 'STUCK' : '', job.cancel_requested && job.state === 'running' ? 'cancelling' : ''].filter(Boolean);
  return `${job.state}${where}${marks.length ? ` [${marks.join(', ')}]` : ''}`;
}

/** `done/total`, or `done` alone while the total is not known (never a `?`). */
export function outOf(done: string, total: string | null): string {
  return total === null ? done : `${done}/${total}`;
}

/**
 * Entries and bytes done, and their totals once known. Without an entry count (a tar before its
 * end: it has no directory) the bytes total is the archive's own size, not what it expands to,
 * so it is not shown as one.
 */
export function progressText(p: JobSummary['progress']): string {
  const parts: string[] = [];
  const totalsKnown = p.entries_total !== null;
  if (p.entries_done !== null || p.entries_total !== null) parts.push(`${outOf(String(p.entries_done ?? 0), totalsKnown ? String(p.entries_total) : null)} entries`);
  if (p.bytes_done !== null || p.bytes_total !== null) {
    parts.push(outOf(formatBytes(p.bytes_done ?? 0), totalsKnown && p.bytes_total !== null ? formatBytes(p.bytes_total) : null));
  }
  return parts.join(', ');
}

export function jobsTable(items: readonly JobSummary[]): string[] {
  return table(
    ['JOB', 'STATE', 'STEP', 'RUN', 'UPDATED', 'ERROR', 'FLAGS', 'ARCHIVE'],
    items.map((j) => [
      j.id,
      j.stuck ? `${j.state}!` : j.state,
      j.step,
      String(j.run),
      shortTime(j.updated_at),
      j.error?.code ?? '',
      j.flags.join(','),
      j.archive.path,
    ]),
  );
}

/** `jobs show`: everything an admin needs to understand one job, in reading order. */
export function jobDetailLines(job: JobDetail, options: { auditShown: number }): string[] {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${name.padEnd(10)}${value}`);
  field('job', `${job.id}  (run ${job.run})`);
  field('state', stateText(job));
  const a = job.archive;
  const facts = [a.size === null ? '' : formatBytes(a.size), a.format ?? '', a.uploader ? `uploaded by ${a.uploader}` : ''].filter(Boolean);
  field('archive', `${a.path}${facts.length ? `  (${facts.join(', ')})` : ''}`);
  if (job.target_path) field('target', job.target_path);
  if (job.omero_request) {
    const r = job.omero_request;
    const how = [r.mode ? `mode ${r.mode}` : '', r.group ? `group ${r.group}` : ''].filter(Boolean).join(', ');
    field('omero', `registration in server '${r.server}'${how ? ` (${how})` : ''} of the tree job ${job.source_job_id ?? '?'} expanded`);
  }
  if (job.error) {
    const extra = [job.error.entry ? `entry ${job.error.entry}` : '', job.error.irods_status !== null ? `iRODS ${job.error.irods_status}` : '']
      .filter(Boolean)
      .join(', ');
    field('error', `${job.error.code}: ${job.error.message ?? ''}${extra ? `  (${extra})` : ''}`);
  }
  const progress = progressText(job.progress);
  if (progress) field('progress', progress);
  field('created', shortTime(job.created_at));
  if (job.started_at) field('started', shortTime(job.started_at));
  if (job.finished_at) field('finished', shortTime(job.finished_at));
  if (job.flags.length) field('flags', job.flags.join(', '));
  for (const w of job.warnings) field('warning', w);

  out.push('', 'steps');
  out.push(
    ...indent(
      table(
        ['RUN', 'STEP', 'STATE', 'ATTEMPTS', 'STARTED', 'TOOK', 'WORKER', 'ERROR'],
        job.steps.map((s) => [
          String(s.run),
          s.step,
          s.state,
          String(s.attempts),
          shortTime(s.started_at),
          s.seconds === null ? '-' : duration(s.seconds),
          workerText(s.worker),
          s.error ? `${s.error.code ?? ''}: ${s.error.message ?? ''}` : '',
        ]),
      ),
    ),
  );
  // Retried steps: each attempt, where it ran and how it ended (the steps table shows the last).
  const retried = job.steps.filter((s) => s.attempt_history.length > 1);
  if (retried.length) {
    out.push('', 'attempts');
    out.push(
      ...indent(
        table(
          ['RUN', 'STEP', 'ATTEMPT', 'STARTED', 'WORKER', 'OUTCOME'],
          retried.flatMap((s) =>
            s.attempt_history.map((a) => [
              String(s.run),
              s.step,
              String(a.attempt),
              shortTime(a.started_at),
              workerText(a.worker),
              `${a.state}${a.error_code ? `: ${a.error_code}` : ''}`,
            ]),
          ),
        ),
      ),
    );
  }
  out.push('', 'events');
  out.push(
    ...indent(
      table(
        ['RECEIVED', 'VERDICT', 'HTTP', 'REASON'],
        job.events.map((e) => [shortTime(e.received_at), e.verdict, String(e.http_status), e.reason ?? '']),
      ),
    ),
  );
  if (job.admin_actions.length) {
    out.push('', 'admin actions');
    out.push(
      ...indent(
        table(
          ['AT', 'ACTION', 'BY', 'DETAIL'],
          job.admin_actions.map((x) => [shortTime(x.at), x.action, x.actor, JSON.stringify(x.detail)]),
        ),
      ),
    );
  }
  out.push('', `audit: ${job.audit.total} change(s) in iRODS${job.audit.total > options.auditShown ? ` (first ${options.auditShown} shown; --audit N for more)` : ''}`);
  out.push(...indent(table(['AT', 'ACTION', 'BY', 'LPATH'], job.audit.items.map((x) => [shortTime(x.at), x.action, workerText(x.worker), x.lpath]))));
  return out;
}

export function bulkReplayLines(report: BulkReplayReply): string[] {
  const out: string[] = [];
  const verb = report.dry_run ? 'would replay' : 'replayed';
  out.push(`${report.matched} job(s) matched; ${verb} ${report.replayed.length}${report.refused.length ? `, refused ${report.refused.length}` : ''}`);
  if (report.replayed.length) {
    out.push(
      ...table(
        ['JOB', 'FROM', 'WAS', 'ERROR', 'ARCHIVE'],
        report.replayed.map((r) => [r.job_id, r.from, `${r.previous_state} at ${r.previous_step}`, r.error_code ?? '', r.path]),
      ),
    );
  }
  for (const r of report.refused) out.push(`refused ${r.job_id}: ${r.code}: ${r.message}`);
  if (report.truncated) out.push(`more than ${report.limit} matched: run the command again to continue`);
  if (report.dry_run) out.push('dry run: nothing was changed');
  return out;
}

/** `host:pid`, as a person finds the process's log (journalctl _PID=, the host's agent log). */
function workerText(worker: { host: string; pid: number } | null): string {
  return worker ? `${worker.host}:${worker.pid}` : '-';
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}
