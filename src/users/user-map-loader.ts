import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { UserMapError } from './errors.js';
import { digestOf, parseUserMap, type UserMap } from './user-map.js';

/**
 * Parses the text of a mapping file. JSON is read with the YAML parser on purpose: JSON is YAML
 * 1.2, and the YAML parser rejects duplicate keys, which JSON.parse silently resolves to the
 * last one (a mapping file with `"alice"` twice is a mistake an admin must hear about).
 */
export function parseUserMapText(text: string, source: string): UserMap {
  // An empty file is refused rather than read as "all defaults, nobody mapped": it is what a
  // reload sees in the middle of an editor's truncate-then-write, and what a failed deploy leaves.
  if (text.trim() === '') {
    throw new UserMapError({ code: 'user_map_invalid', file: source, issues: [{ where: '', message: 'is empty (write {} to use every default)' }] });
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, version: '1.2' });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : '';
      return { where, message: e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.code };
    });
    throw new UserMapError({ code: 'user_map_invalid', file: source, issues });
  }
  return parseUserMap(doc.toJS({ maxAliasCount: 100 }), { source, digest: digestOf(text) });
}

/** Reads and validates the mapping file at `path` (.json, .yaml or .yml). Throws UserMapError. */
export async function loadUserMap(path: string): Promise<UserMap> {
  return parseUserMapText(await readUserMapText(path), path);
}

/** The file's text, or a UserMapError saying why it cannot be read. */
export async function readUserMapText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : undefined;
    const message =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied (the agent must be able to read it)'
          : code === 'EISDIR'
            ? 'is a directory, not a mapping file'
            : `cannot be read (${err instanceof Error ? err.message : String(err)})`;
    throw new UserMapError({ code: 'user_map_unreadable', file: path, issues: [{ where: '', message }], cause: err });
  }
}
