import type { Queryable } from '../pool.js';
import { safeJson } from '../safe-text.js';

export type EntryState = 'pending' | 'writing' | 'written' | 'failed';

export interface EntryRow {
  job_id: string;
  path: string;
  kind: 'file' | 'directory';
  size: number | null;
  crc32: number | null;
  state: EntryState;
  bytes_written: number;
  irods_checksum: string | null;
  updated_at: Date;
}

export interface EntryUpdate {
  path: string;
  kind: 'file' | 'directory';
  size?: number | null | undefined;
  crc32?: number | null | undefined;
  state: EntryState;
  bytesWritten?: number | undefined;
  irodsChecksum?: string | null | undefined;
}

/** Upserts many entries in one statement: an expansion records thousands. */
export async function upsertEntries(db: Queryable, jobId: string, entries: readonly EntryUpdate[]): Promise<void> {
  if (!entries.length) return;
  await db.query(
    `INSERT INTO entries (job_id, path, kind, size, crc32, state, bytes_written, irods_checksum)
     SELECT $1, e.path, e.kind, e.size, e.crc32, e.state, COALESCE(e.bytes_written, 0), e.irods_checksum
       FROM jsonb_to_recordset($2::jsonb)
         AS e(path text, kind text, size bigint, crc32 bigint, state text, bytes_written bigint, irods_checksum text)
     ON CONFLICT (job_id, path) DO UPDATE SET
       kind = EXCLUDED.kind, size = COALESCE(EXCLUDED.size, entries.size), crc32 = COALESCE(EXCLUDED.crc32, entries.crc32),
       state = EXCLUDED.state, bytes_written = EXCLUDED.bytes_written,
       irods_checksum = COALESCE(EXCLUDED.irods_checksum, entries.irods_checksum), updated_at = now()`,
    [
      jobId,
      safeJson(
        entries.map((e) => ({
          path: e.path,
          kind: e.kind,
          size: e.size ?? null,
          crc32: e.crc32 ?? null,
          state: e.state,
          bytes_written: e.bytesWritten ?? 0,
          irods_checksum: e.irodsChecksum ?? null,
        })),
      ),
    ],
  );
}

export async function entriesForJob(db: Queryable, jobId: string): Promise<Map<string, EntryRow>> {
  const { rows } = await db.query<EntryRow>('SELECT * FROM entries WHERE job_id = $1', [jobId]);
  return new Map(rows.map((r) => [r.path, r]));
}

export async function entryCounts(db: Queryable, jobId: string): Promise<Record<EntryState, number> & { bytes: number }> {
  const { rows } = await db.query<{ state: EntryState; n: number; bytes: number }>(
    `SELECT state, count(*)::int AS n, COALESCE(sum(bytes_written), 0)::bigint AS bytes FROM entries WHERE job_id = $1 GROUP BY state`,
    [jobId],
  );
  const counts = { pending: 0, writing: 0, written: 0, failed: 0, bytes: 0 };
  for (const r of rows) {
    counts[r.state] = r.n;
    counts.bytes += r.bytes;
  }
  return counts;
}
