import type { Queryable } from '../pool.js';
import { safeJson } from '../safe-text.js';

export type AnnotatedType = 'Image' | 'Project' | 'Dataset' | 'Screen' | 'Plate';

/** The MapAnnotation the agent keeps on one OMERO object for one iRODS object (migration 0008). */
export interface OmeroAnnotationRow {
  server: string;
  logical_path: string;
  target_type: AnnotatedType;
  target_id: number;
  annotation_id: number;
  /** [[key, value], …] as last written. */
  written: [string, string][];
  written_at: Date;
  sync_id: number | null;
}

export async function annotationsOfObject(db: Queryable, server: string, logicalPath: string): Promise<OmeroAnnotationRow[]> {
  const { rows } = await db.query<OmeroAnnotationRow>(
    'SELECT * FROM omero_annotations WHERE server = $1 AND logical_path = $2 ORDER BY target_type, target_id',
    [server, logicalPath],
  );
  return rows;
}

export interface AnnotationRecord {
  readonly server: string;
  readonly logicalPath: string;
  readonly targetType: AnnotatedType;
  readonly targetId: number;
  readonly annotationId: number;
  readonly written: readonly (readonly [string, string])[];
  readonly syncId: number;
}

/** Records (or replaces) which annotation belongs to the object on that target, and what it holds. */
export async function recordAnnotation(db: Queryable, r: AnnotationRecord): Promise<void> {
  await db.query(
    `INSERT INTO omero_annotations (server, logical_path, target_type, target_id, annotation_id, written, sync_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (server, logical_path, target_type, target_id)
     DO UPDATE SET annotation_id = EXCLUDED.annotation_id, written = EXCLUDED.written, sync_id = EXCLUDED.sync_id, written_at = now()`,
    [r.server, r.logicalPath, r.targetType, r.targetId, r.annotationId, safeJson(r.written), r.syncId],
  );
}

/**
 * Forgets the annotations kept for the objects of a tree on a server (`omero unregister` deleted
 * their OMERO objects): a later registration makes new ones. How many rows went.
 */
export async function forgetAnnotationsUnder(db: Queryable, server: string, root: string): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM omero_annotations WHERE server = $1 AND (logical_path = $2 OR starts_with(logical_path, $2 || '/'))`,
    [server, root],
  );
  return rowCount ?? 0;
}
