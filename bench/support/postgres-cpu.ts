import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { BENCH_PG_BASE } from './database.js';

/**
 * CPU time PostgreSQL spends for one database: the user + system time of its backend processes,
 * read from /proc (PostgreSQL runs on this machine). A per-event cost that the noise of other
 * users of the machine barely touches, unlike wall-clock rates. Linux only; 0 where /proc is
 * unreadable. Backends that exit between two readings lose their time (none do under load).
 */
export async function postgresCpuMs(database: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: `${BENCH_PG_BASE}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
      } catch {
        // The backend went away between the query and the read.
      }
    }
    return out;
  } finally {
    await client.end();
  }
}

/** CPU ms spent between two readings (new backends count from zero). */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}
