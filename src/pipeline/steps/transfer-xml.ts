import { isNotFound } from '../../irods/errors.js';
import { parseTransferXml, TransferXmlError, type TransferModel } from '../../ome/index.js';
import type { StepContext } from '../step-context.js';

export type LoadedTransferXml =
  | { readonly state: 'parsed'; readonly model: TransferModel }
  | { readonly state: 'absent' }
  | { readonly state: 'invalid'; readonly error: TransferXmlError };

/**
 * The expanded archive's transfer.xml, read from iRODS and parsed with the agent's limits. Each
 * step that needs it loads it itself (steps run and are replayed independently, possibly in
 * other processes). Read errors other than "not found" propagate: the step retries them.
 */
export async function loadTransferXml(ctx: StepContext, root: string): Promise<LoadedTransferXml> {
  const maxBytes = ctx.config.limits.maxXmlBytes;
  let xml: Buffer;
  try {
    // One byte over the limit, so the parser can tell "too large" from "exactly at the limit".
    xml = await ctx.irods.dataObjects.read(`${root}/transfer.xml`, { count: maxBytes + 1, signal: ctx.signal });
  } catch (err) {
    if (isNotFound(err)) return { state: 'absent' };
    throw err;
  }
  try {
    return { state: 'parsed', model: parseTransferXml(xml, { maxBytes }) };
  } catch (err) {
    if (err instanceof TransferXmlError) return { state: 'invalid', error: err };
    throw err;
  }
}
