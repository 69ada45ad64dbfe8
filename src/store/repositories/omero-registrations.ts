import type { Queryable } from '../pool.js';
import type { JobState, OmeroRequest } from './jobs.js';

/** The newest registration on demand of a landing job in one server, as the feed and the route see it. */
export interface OmeroRegistrationRow {
  job_id: string;
  source_job_id: string;
  run: number;
  state: JobState;
  omero_request: OmeroRequest;
  error_code: string | null;
  error_message: string | null;
  finished_at: Date | null;
  /** The omero step's `detail.omero` of the job's current run, when it got that far. */
  registration: Record<string, unknown> | null;
}

/** Per landing job and server: its newest registration on demand (any state) that no later unregister of that server undid. */
export async function registrationsOfJobs(db: Queryable, sourceJobIds: readonly string[]): Promise<OmeroRegistrationRow[]> {
  if (!sourceJobIds.length) return [];
  const { rows } = await db.query<OmeroRegistrationRow>(
    `SELECT DISTINCT ON (j.source_job_id, j.omero_request->>'server')
            j.id AS job_id, j.source_job_id, j.run, j.state, j.omero_request, j.error_code, j.error_message, j.finished_at,
            reg.detail AS registration
       FROM jobs j
       LEFT JOIN LATERAL (SELECT s.detail->'omero' AS detail, s.finished_at FROM job_steps s
                           WHERE s.job_id = j.id AND s.run = j.run AND s.step = 'omero' AND jsonb_typeof(s.detail->'omero') = 'object') reg ON true
      WHERE j.kind = 'omero_register' AND j.source_job_id = ANY($1::uuid[])
        -- An unregister of that server on the landing job since undid it (a replay that registers again after it counts again).
        AND NOT EXISTS (SELECT 1 FROM job_steps u
                         WHERE u.job_id = j.source_job_id AND u.step = 'unregister' AND u.state = 'succeeded'
                           AND u.detail->'omero_unregister'->>'server' = j.omero_request->>'server'
                           AND u.finished_at > coalesce(reg.finished_at, j.created_at))
      ORDER BY j.source_job_id, j.omero_request->>'server', j.created_at DESC`,
    [sourceJobIds],
  );
  return rows;
}
