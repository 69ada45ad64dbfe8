import type { FileRole, TransferModel } from './transfer-model.js';

export interface ReferencedFile {
  /** Archive-relative, normalised: what the archive (after stripping tar's `./`) must contain. */
  readonly path: string;
  /** A fileset is a directory; everything else a file. */
  readonly kind: 'file' | 'directory';
  readonly role: FileRole;
  /** The Images (or FileAnnotations) that name it, in document order. */
  readonly ids: readonly string[];
}

/**
 * Every path transfer.xml expects in the archive: image files, fileset directories,
 * pixel_images, attachments and figures, sorted by path, one entry per path. The expand step
 * compares it with the archive's entries to flag an archive `incomplete` (incomplete_project.zip
 * lacks root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png). The archive root itself (a fileset
 * whose common directory is the root) is never listed: it always exists.
 */
export function referencedFiles(model: TransferModel): ReferencedFile[] {
  const byPath = new Map<string, { kind: 'file' | 'directory'; role: FileRole; ids: string[] }>();
  const note = (path: { target: string; kind: 'file' | 'directory'; role: FileRole } | undefined, id: string): void => {
    if (!path || path.target === '') return;
    const seen = byPath.get(path.target);
    if (seen) {
      if (!seen.ids.includes(id)) seen.ids.push(id);
    } else {
      byPath.set(path.target, { kind: path.kind, role: path.role, ids: [id] });
    }
  };
  for (const image of model.images) note(image.path, image.id);
  for (const a of model.annotations) if (a.kind === 'file') note(a.path, a.id);
  return [...byPath.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, entry]) => ({ path, kind: entry.kind, role: entry.role, ids: entry.ids }));
}

/**
 * The referenced paths missing from an archive, given its entry names (tar's `./` prefix and
 * directory entries' trailing `/` are tolerated; a directory counts as present when it is listed
 * or any entry lies under it).
 */
export function missingReferencedFiles(model: TransferModel, entryNames: Iterable<string>): ReferencedFile[] {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const raw of entryNames) {
    const name = raw.replace(/^(\.\/)+/, '');
    const isDir = name.endsWith('/');
    const clean = name.replace(/\/+$/, '');
    if (clean === '') continue;
    if (isDir) dirs.add(clean);
    else files.add(clean);
    for (let slash = clean.lastIndexOf('/'); slash > 0; slash = clean.lastIndexOf('/', slash - 1)) dirs.add(clean.slice(0, slash));
  }
  return referencedFiles(model).filter((f) => (f.kind === 'file' ? !files.has(f.path) : !dirs.has(f.path)));
}
