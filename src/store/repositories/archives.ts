import type { Queryable } from '../pool.js';

export interface ArchiveRow {
  id: number;
  zone: string;
  logical_path: string;
  size: number | null;
  checksum: string | null;
  modified_at: Date | null;
  uploader: string | null;
  resource: string | null;
  format: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ArchiveFacts {
  size?: number | null | undefined;
  checksum?: string | null | undefined;
  modifiedAt?: Date | null | undefined;
  uploader?: string | null | undefined;
  resource?: string | null | undefined;
}

export async function insertArchive(db: Queryable, zone: string, logicalPath: string, facts: ArchiveFacts): Promise<ArchiveRow> {
  const { rows } = await db.query<ArchiveRow>(
    `INSERT INTO archives (zone, logical_path, size, checksum, modified_at, uploader, resource)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [zone, logicalPath, facts.size ?? null, facts.checksum ?? null, facts.modifiedAt ?? null, facts.uploader ?? null, facts.resource ?? null],
  );
  return rows[0] as ArchiveRow;
}

/** Later reports of the same version fill in what earlier ones lacked (never erase a known fact). */
export async function updateArchiveFacts(db: Queryable, id: number, facts: ArchiveFacts & { format?: string }): Promise<void> {
  await db.query(
    `UPDATE archives SET size = COALESCE($2, size), checksum = COALESCE($3, checksum),
       modified_at = COALESCE($4, modified_at), uploader = COALESCE(uploader, $5),
       resource = COALESCE($6, resource), format = COALESCE($7, format), updated_at = now()
     WHERE id = $1`,
    [id, facts.size ?? null, facts.checksum ?? null, facts.modifiedAt ?? null, facts.uploader ?? null, facts.resource ?? null, facts.format ?? null],
  );
}

/** Replaces the version facts outright (a queued job whose archive changed before it started). */
export async function replaceArchiveVersion(db: Queryable, id: number, facts: ArchiveFacts): Promise<void> {
  await db.query(
    `UPDATE archives SET size = $2, checksum = $3, modified_at = $4, resource = COALESCE($5, resource), updated_at = now() WHERE id = $1`,
    [id, facts.size ?? null, facts.checksum ?? null, facts.modifiedAt ?? null, facts.resource ?? null],
  );
}

export async function getArchive(db: Queryable, id: number): Promise<ArchiveRow | undefined> {
  const { rows } = await db.query<ArchiveRow>('SELECT * FROM archives WHERE id = $1', [id]);
  return rows[0];
}
