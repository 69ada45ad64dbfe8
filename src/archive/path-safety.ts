/**
 * Entry names → safe relative paths. Pure functions, no I/O.
 *
 * The only normalisation is what archivers legitimately write: leading `./` (tar, as
 * `omero transfer pack` does) and one trailing `/` (a folder). Everything else that could make a
 * name mean something other than "this relative path under the target collection" is refused,
 * not repaired: `..` anywhere, absolute paths, Windows drive letters, backslashes (a Windows
 * separator we will not reinterpret), NUL and other control characters, and empty or `.`
 * segments (`a//b`, `a/./b`), which different tools resolve differently, and invisible
 * text-direction controls that disguise a name.
 *
 * Names are compared exactly as iRODS does: case-sensitive, byte for byte (no Unicode
 * normalisation; `é` precomposed and decomposed are two different names, as in iRODS).
 */

export type PathProblem =
  | 'empty'
  | 'nul'
  | 'control_character'
  | 'bidi_control'
  | 'backslash'
  | 'absolute'
  | 'drive_letter'
  | 'parent_segment'
  | 'dot_segment'
  | 'empty_segment';

export type PathCheck =
  /** A usable relative path: segments joined by `/`, no leading `./`, no trailing `/`. */
  | { readonly ok: true; readonly root: false; readonly path: string; readonly trailingSlash: boolean }
  /** The archive's own root (`./` or `.` in tar): nothing to create. */
  | { readonly ok: true; readonly root: true }
  | { readonly ok: false; readonly problem: PathProblem };

// C0 controls, DEL and C1 controls: never part of a scientist's file name, and some of them
// drive terminals (ESC, CSI) or split log lines.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;
// Text-direction embeddings, overrides and isolates: invisible, and able to make `gpj.exe` read
// as `exe.jpg` in a listing ("Trojan Source", CVE-2021-42574).
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const DRIVE_LETTER = /^[A-Za-z]:/;

export function checkEntryPath(name: string): PathCheck {
  if (name.length === 0) return { ok: false, problem: 'empty' };
  if (name.includes('\u0000')) return { ok: false, problem: 'nul' };
  if (CONTROL.test(name)) return { ok: false, problem: 'control_character' };
  if (BIDI_CONTROL.test(name)) return { ok: false, problem: 'bidi_control' };
  if (name.includes('\\')) return { ok: false, problem: 'backslash' };
  if (name.startsWith('/')) return { ok: false, problem: 'absolute' };
  if (DRIVE_LETTER.test(name)) return { ok: false, problem: 'drive_letter' };

  let rest = name;
  while (rest.startsWith('./')) rest = rest.slice(2);
  const trailingSlash = rest.endsWith('/');
  if (trailingSlash) rest = rest.slice(0, -1);
  if (rest === '' || rest === '.') return { ok: true, root: true };

  const segments = rest.split('/');
  // `..` first: it is the one that escapes, and the message should say so.
  if (segments.includes('..')) return { ok: false, problem: 'parent_segment' };
  if (segments.includes('.')) return { ok: false, problem: 'dot_segment' };
  if (segments.includes('')) return { ok: false, problem: 'empty_segment' };
  return { ok: true, root: false, path: rest, trailingSlash };
}

/** What is wrong, in words for the status message. */
export function describePathProblem(problem: PathProblem): string {
  switch (problem) {
    case 'empty':
      return 'has an empty name';
    case 'nul':
      return 'contains a NUL byte';
    case 'control_character':
      return 'contains a control character';
    case 'bidi_control':
      return 'contains an invisible text-direction character that can disguise its name';
    case 'backslash':
      return 'contains a backslash (\\), which is not a folder separator here';
    case 'absolute':
      return 'is an absolute path (starts with /)';
    case 'drive_letter':
      return 'starts with a Windows drive letter';
    case 'parent_segment':
      return 'contains "..", which would place it outside the target folder';
    case 'dot_segment':
      return 'contains a "." folder in the middle of its path';
    case 'empty_segment':
      return 'contains an empty folder name ("//")';
  }
}

/** Every parent of a relative path, nearest the root first: `a/b/c` → `a`, `a/b`. */
export function parentsOf(path: string): string[] {
  const parents: string[] = [];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) parents.push(path.slice(0, i));
  return parents;
}

/** The last segment of a relative path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
