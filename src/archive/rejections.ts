import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import { formatBytes } from './format-bytes.js';
import { describePathProblem, type PathProblem } from './path-safety.js';

// The refusals both readers share, worded once: each says what is wrong and, where the scientist
// can do something about it, what.

export function unsafePath(name: string, problem: PathProblem): ArchiveRejected {
  return new ArchiveRejected('unsafe_path', `The archive was refused: entry ${quoteEntry(name)} ${describePathProblem(problem)}.`, name);
}

export function invalidUtf8(shown: string): ArchiveRejected {
  return new ArchiveRejected(
    'invalid_utf8',
    `The archive was refused: entry ${quoteEntry(shown)} has a name that is not valid UTF-8, which iRODS cannot store faithfully.`,
    shown,
  );
}

export function unsupportedType(name: string, what: string): ArchiveRejected {
  return new ArchiveRejected(
    'unsupported_entry_type',
    `The archive was refused: entry ${quoteEntry(name)} is ${what}; only files and folders can be expanded.`,
    name,
  );
}

export function tooManyEntries(max: number, entry?: string): ArchiveRejected {
  return new ArchiveRejected(
    'too_many_entries',
    `The archive was refused: it holds more than ${max} entries, the most the agent accepts.`,
    entry,
  );
}

export function tooLargeEntry(entry: string, size: number, max: number): ArchiveRejected {
  return new ArchiveRejected(
    'too_large',
    `The archive was refused: entry ${quoteEntry(entry)} is ${formatBytes(size)}, more than ${formatBytes(max)}, the largest file the agent accepts.`,
    entry,
  );
}

export function tooLargeInTotal(max: number, entry?: string): ArchiveRejected {
  return new ArchiveRejected(
    'too_large',
    `The archive was refused: its content expands to more than ${formatBytes(max)} in total, the most the agent accepts for one archive.`,
    entry,
  );
}

export function emptyFile(): ArchiveRejected {
  return new ArchiveRejected('not_an_archive', 'The archive was refused: the file is empty.');
}
