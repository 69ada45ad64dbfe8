import { isNotFound } from '../../../irods/errors.js';
import { parseTransferXml, TransferXmlError, type TransferModel } from '../../../ome/index.js';
import type { StepContext } from '../../step-context.js';
import { StepFailure } from '../../step-errors.js';

export async function readModel(ctx: StepContext, root: string): Promise<TransferModel | undefined> {
  const maxBytes = ctx.config.limits.maxXmlBytes;
  let xml: Buffer;
  try {
    xml = await ctx.irods.dataObjects.read(`${root}/transfer.xml`, { count: maxBytes + 1, signal: ctx.signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    return parseTransferXml(xml, { maxBytes });
  } catch (err) {
    if (err instanceof TransferXmlError) {
      throw new StepFailure('transfer_xml_invalid', `transfer.xml could not be read, so the archive was not registered in OMERO: ${err.message}`, { entry: 'transfer.xml' });
    }
    throw err;
  }
}

/** What upstream unpack would stumble on, refused before anything is sent to OMERO. */
export function refuseUnpackable(model: TransferModel): void {
  if (model.legacy) {
    throw new StepFailure(
      'omero_not_unpackable',
      'This archive was packed by omero-cli-transfer before 1.0; omero transfer unpack no longer reads that form, so it was not registered in OMERO (its files and metadata are in iRODS all the same).',
    );
  }
  const pathless = model.images.filter((i) => !i.path).length;
  if (pathless) {
    throw new StepFailure(
      'omero_not_unpackable',
      `${pathless} image(s) of this archive have no file in it (packed with --binaries none?), which omero transfer unpack cannot import, so it was not registered in OMERO.`,
    );
  }
}

export interface ExpandedTree {
  readonly files: ReadonlyMap<string, number>;
  readonly directories: ReadonlySet<string>;
}

/** The files and directories the expand step wrote (archive-relative paths). */
export async function expandedTree(ctx: StepContext): Promise<ExpandedTree> {
  const files = new Map<string, number>();
  const directories = new Set<string>();
  for (const e of (await ctx.recordedEntries()).values()) {
    if (e.state !== 'written') continue;
    if (e.kind === 'directory') directories.add(e.path);
    else files.set(e.path, Number(e.size ?? 0));
    for (let slash = e.path.lastIndexOf('/'); slash > 0; slash = e.path.lastIndexOf('/', slash - 1)) directories.add(e.path.slice(0, slash));
  }
  return { files, directories };
}

/** Image paths (files or fileset directories) the expanded archive holds: what unpack can import. */
export function expectedImagePaths(model: TransferModel, tree: ExpandedTree): Set<string> {
  const out = new Set<string>();
  for (const image of model.images) {
    const p = image.path;
    if (!p) continue;
    if (p.kind === 'directory' ? tree.directories.has(p.target) : tree.files.has(p.target)) out.add(p.target);
  }
  return out;
}
