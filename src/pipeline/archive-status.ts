import { LANDED_MARK_ATTRIBUTE } from '../intake/landed-mark.js';
import { dataObjectAvus, planAvuSync, type Avu, type IrodsClient } from '../irods/index.js';
import { applyAvuPlan } from './avu-writes.js';

/** The namespace of the agent's own AVUs on archives and expanded objects (DESIGN.md). */
export const AGENT_NS = 'irods_omero_agent::';

/** The archive's OMERO registration state (broken-registration.ts): on the archive, but not a status. */
export const REGISTRATION_PREFIX = `${AGENT_NS}registration`;

export type ArchiveStatusValue = 'queued' | 'running' | 'expanded' | 'failed' | 'cancelled';

export interface ArchiveStatus {
  readonly status: ArchiveStatusValue;
  readonly jobId: string;
  readonly step?: string | undefined;
  /** A sentence a scientist understands (failed only). */
  readonly error?: string | undefined;
  readonly expandedTo?: string | null | undefined;
  readonly flags?: readonly string[] | undefined;
  readonly warnings?: readonly string[] | undefined;
}

/** iRODS refuses longer AVU values in common catalog configurations; keep well under. */
const MAX_VALUE = 2_000;

function clip(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 15)}… [truncated]` : value;
}

/** The AVUs that tell a user, with `imeta ls -d <archive>`, what became of the archive. */
export function statusAvus(s: ArchiveStatus, now = new Date()): Avu[] {
  const avus: Avu[] = [
    { attribute: `${AGENT_NS}status`, value: s.status },
    { attribute: `${AGENT_NS}job`, value: s.jobId },
    { attribute: `${AGENT_NS}updated_at`, value: now.toISOString() },
  ];
  if (s.step && s.status !== 'expanded') avus.push({ attribute: `${AGENT_NS}step`, value: s.step });
  if (s.error) avus.push({ attribute: `${AGENT_NS}error`, value: clip(s.error) });
  if (s.expandedTo) avus.push({ attribute: `${AGENT_NS}expanded_to`, value: s.expandedTo });
  for (const f of new Set(s.flags ?? [])) avus.push({ attribute: `${AGENT_NS}flag`, value: f });
  for (const w of new Set(s.warnings ?? [])) avus.push({ attribute: `${AGENT_NS}warning`, value: clip(w) });
  return avus;
}

/**
 * Writes the archive's status AVUs in one atomic modify_metadata: the old status values go, the
 * new ones come, users' own AVUs are never touched.
 */
export async function writeArchiveStatus(irods: IrodsClient, archiveLpath: string, status: ArchiveStatus): Promise<void> {
  const current = await dataObjectAvus(irods.query, archiveLpath, AGENT_NS);
  // `queued` is written in the background after the event is accepted; a worker may already have
  // moved this job on, and a late `queued` must not hide that.
  if (status.status === 'queued' && current.some((a) => a.attribute === `${AGENT_NS}job` && a.value === status.jobId)) return;
  // The native rule's mark shares the namespace but is not a status: a newer upload's mark must
  // wait for the agent, not be swept away as a stale status value.
  // Nor is a broken registration: it holds until the registration is dealt with, whatever the job does.
  const statuses = current.filter((a) => a.attribute !== LANDED_MARK_ATTRIBUTE && !a.attribute.startsWith(REGISTRATION_PREFIX));
  await applyAvuPlan(irods, archiveLpath, 'data_object', planAvuSync(statuses, statusAvus(status), [AGENT_NS]));
}

/** The intake's `onAccepted` for events and marks alike: the uploader sees `queued` at once (imeta ls -d). */
export function tellUploaderQueued(irods: IrodsClient): (job: { jobId: string; logicalPath: string }) => Promise<void> {
  return (job) => writeArchiveStatus(irods, job.logicalPath, { status: 'queued', jobId: job.jobId });
}
