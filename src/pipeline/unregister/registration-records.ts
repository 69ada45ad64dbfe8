import type pg from 'pg';
import { omeroAnnotations, registrationBreaks } from '../../store/index.js';

/**
 * What the agent remembers about a registration in PostgreSQL besides the job's rows, for the
 * unregister step (which, like every step, gets no database handle): the breaks recorded against
 * it, and the annotations the sync keeps on its OMERO objects.
 */
export interface RegistrationRecords {
  /** Marks the job's breaks cleared by run `run`; how many. */
  clearBreaks(jobId: string, run: number): Promise<number>;
  /** Forgets the annotations kept for the tree's objects on that server (`host:port`); how many. */
  forgetAnnotations(server: string, root: string): Promise<number>;
}

export function registrationRecords(pool: pg.Pool): RegistrationRecords {
  return {
    clearBreaks: (jobId, run) => registrationBreaks.clearBreaksOfJob(pool, jobId, run),
    forgetAnnotations: (server, root) => omeroAnnotations.forgetAnnotationsUnder(pool, server, root),
  };
}
