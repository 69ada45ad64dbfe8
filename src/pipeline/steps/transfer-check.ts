import { missingReferencedFiles } from '../../ome/index.js';
import type { StepContext } from '../step-context.js';
import { loadTransferXml } from './transfer-xml.js';

export interface TransferCheck {
  readonly flags: string[];
  readonly warnings: string[];
  readonly missing: string[];
}

const LISTED = 20;

/**
 * After expansion: flags an archive that is empty, has no transfer.xml (expanded, but there is
 * no OMERO metadata to attach), or lacks files its transfer.xml references (`incomplete`, with
 * the list). A transfer.xml that cannot be parsed is only a warning here: the metadata step
 * fails on it alone, visibly and replayably.
 */
export async function checkTransferXml(
  ctx: StepContext,
  target: string,
  written: ReadonlySet<string>,
  entryCount: number,
): Promise<TransferCheck> {
  if (entryCount === 0) {
    return { flags: ['empty', 'no_transfer_xml'], warnings: ['The archive is empty: nothing was expanded.'], missing: [] };
  }
  if (!written.has('transfer.xml')) {
    return {
      flags: ['no_transfer_xml'],
      warnings: ['The archive has no transfer.xml at its root: its files were expanded, but there is no OMERO metadata to attach.'],
      missing: [],
    };
  }
  const loaded = await loadTransferXml(ctx, target);
  if (loaded.state !== 'parsed') {
    // Invalid: the metadata step fails on it, visibly; absent cannot happen (written has it).
    const why = loaded.state === 'invalid' ? loaded.error.message : 'it is missing';
    return { flags: [], warnings: [`transfer.xml could not be read to check completeness: ${why}`], missing: [] };
  }
  const missing = missingReferencedFiles(loaded.model, written).map((f) => f.path);
  if (!missing.length) return { flags: [], warnings: [], missing };
  const shown = missing.slice(0, LISTED).join(', ');
  const more = missing.length > LISTED ? ` and ${missing.length - LISTED} more` : '';
  return {
    flags: ['incomplete'],
    warnings: [`The archive lacks ${missing.length} file(s) that its transfer.xml references: ${shown}${more}.`],
    missing,
  };
}
