import type { FileRole, ServerPath } from './transfer-model.js';

/**
 * Turns a path from transfer.xml into an archive-relative one, or undefined when it could point
 * outside the archive (absolute, a drive letter, a `..` segment, a NUL). `./` and empty segments
 * are dropped: `--simple` packs write `./<proj>/<ds>/file`, tar entries carry `./`.
 */
export function normaliseArchivePath(raw: string): string | undefined {
  if (raw.includes('\0') || raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)) return undefined;
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return undefined;
    segments.push(segment);
  }
  return segments.join('/');
}

/** The leaf pack appends to a multi-file fileset's common directory. */
const FILESET_LEAF = 'mock_folder';
export const FIGURE_NAMESPACE = 'omero.web.figure.json';

/**
 * Classifies a normalised path. Images: `<dir>/mock_folder` is the fileset directory `<dir>`,
 * `pixel_images/...` an exported OME-TIFF, anything else the image's single file. Files of
 * FileAnnotations: `figures/...` (or the figure namespace) a figure, else an attachment.
 * Returns undefined when the path names no file (empty).
 */
export function classifyPath(
  raw: string,
  target: string,
  owner: 'image' | 'file',
  annotationId: string,
  legacy: boolean,
  fileNamespace?: string,
): ServerPath | undefined {
  const slash = target.lastIndexOf('/');
  const leaf = target.slice(slash + 1);
  if (owner === 'image' && leaf === FILESET_LEAF) {
    return { raw, target: slash === -1 ? '' : target.slice(0, slash), kind: 'directory', role: 'fileset', annotationId, legacy };
  }
  if (target === '') return undefined;
  let role: FileRole;
  if (owner === 'image') role = target.startsWith('pixel_images/') ? 'pixel_image' : 'image';
  else role = target.startsWith('figures/') || fileNamespace === FIGURE_NAMESPACE ? 'figure' : 'attachment';
  return { raw, target, kind: 'file', role, annotationId, legacy };
}
