import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { parentsOf } from './path-safety.js';

type Slot = 'file' | 'directory' | 'parent';

/**
 * The set of names an archive has used so far, as iRODS will see them: case-sensitive, and one
 * namespace for data objects and collections (a file `a` and a folder `a`, or a file `a` and an
 * entry `a/b`, cannot both exist in iRODS).
 *
 * The same folder listed twice is tolerated (it carries no data, so nothing is ambiguous); any
 * other repeat is a `duplicate_entry`: which copy would win differs between tools, and an attacker
 * can use that to hide content from whoever checked the archive with another tool.
 */
export class EntryNamespace {
  private readonly slots = new Map<string, Slot>();

  get size(): number {
    return this.slots.size;
  }

  /** Records a normalised path; throws ArchiveRejected('duplicate_entry') on a clash. */
  add(path: string, kind: 'file' | 'directory', shownName: string = path): void {
    for (const parent of parentsOf(path)) {
      const slot = this.slots.get(parent);
      if (slot === 'file') {
        throw new ArchiveRejected(
          'duplicate_entry',
          `The archive was refused: entry ${quoteEntry(shownName)} sits inside "${parent}", which the archive also holds as a file.`,
          shownName,
        );
      }
      if (slot === undefined) this.slots.set(parent, 'parent');
    }
    const existing = this.slots.get(path);
    if (kind === 'directory') {
      if (existing === 'file') throw this.duplicate(shownName, 'a file and a folder share this name');
      this.slots.set(path, 'directory');
      return;
    }
    if (existing === 'file') throw this.duplicate(shownName, 'two files share this name');
    if (existing !== undefined) throw this.duplicate(shownName, 'a file and a folder share this name');
    this.slots.set(path, 'file');
  }

  private duplicate(shownName: string, why: string): ArchiveRejected {
    return new ArchiveRejected(
      'duplicate_entry',
      `The archive was refused: entry ${quoteEntry(shownName)} appears more than once (${why}); it is not clear which copy is meant.`,
      shownName,
    );
  }
}
