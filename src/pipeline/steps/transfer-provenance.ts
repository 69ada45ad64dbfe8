import type { ProvenanceOwner } from '../../users/index.js';
import type { StepContext } from '../step-context.js';
import { loadTransferXml } from './transfer-xml.js';

export type ProvenanceSource = 'transfer_xml' | 'absent' | 'unreadable';

export interface ArchiveProvenance {
  /** Every CLITransferMetadata record's original_user / original_group (one per Image and Plate). */
  readonly owners: readonly ProvenanceOwner[];
  readonly source: ProvenanceSource;
  /** Why transfer.xml could not be used (unreadable only). */
  readonly problem: string | undefined;
}

/**
 * The original OMERO owners of an expanded archive, from its `transfer.xml` (parsed with the
 * same parser and limits as the metadata step). A missing file gives no owners; so does one
 * that cannot be parsed: permissions run before metadata so that people get access even when
 * the metadata is broken, and the metadata step then fails on it visibly. Read errors other
 * than "not found" propagate (the step retries them).
 */
export async function readArchiveProvenance(ctx: StepContext, root: string, expanded: boolean): Promise<ArchiveProvenance> {
  if (!expanded) return { owners: [], source: 'absent', problem: undefined };
  const loaded = await loadTransferXml(ctx, root);
  if (loaded.state === 'absent') return { owners: [], source: 'absent', problem: undefined };
  if (loaded.state === 'invalid') return { owners: [], source: 'unreadable', problem: loaded.error.message };
  return {
    owners: loaded.model.provenance.map((p) => ({ originalUser: p.originalUser, originalGroup: p.originalGroup })),
    source: 'transfer_xml',
    problem: undefined,
  };
}
