import type { OmeroServer } from '../../../config/index.js';
import { collectionAttributeValues } from '../../../irods/index.js';
import { readUnpackRecord, registrationAttribute, type UnpackRecord } from '../../../omero/index.js';
import type { JobStepRow } from '../../../store/index.js';
import type { StepContext } from '../../step-context.js';
import type { RegistrationDetail } from './registration-detail.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The most recent finished registration of this job on this server, from an earlier run. */
export function previousRegistration(history: readonly JobStepRow[], run: number, server: string): RegistrationDetail | undefined {
  const found = history
    .filter((s) => s.run < run && s.state === 'succeeded' && isRecord(s.detail.omero) && s.detail.omero.server === server)
    .sort((a, b) => b.run - a.run)[0];
  const detail = found?.detail.omero;
  if (!isRecord(detail) || !Array.isArray(detail.images) || typeof detail.registered_at !== 'string') return undefined;
  return detail as unknown as RegistrationDetail;
}

/**
 * The unpack this run already finished (a retry after a later failure), if it was for this
 * server and mode. One that failed is not taken: its failure decided the step (not retried once
 * anything may have been imported), so a retry only follows one that never started its work.
 */
export function currentUnpack(history: readonly JobStepRow[], run: number, server: string, mode: string): UnpackRecord | undefined {
  const record = readUnpackRecord(history.find((s) => s.run === run)?.detail.omero_unpack);
  if (!record || record.server !== server || record.mode !== mode || record.outcome !== 'finished') return undefined;
  return record;
}

/** Whether the root still says it is registered there: removing the AVU asks for a new registration. */
export async function rootRecordsServer(ctx: StepContext, root: string, target: OmeroServer, server: string): Promise<boolean> {
  return (await collectionAttributeValues(ctx.irods.query, root, registrationAttribute('server', target), ctx.signal)).includes(server);
}
