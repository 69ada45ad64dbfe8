import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// No native rule engine runs here: these checks guard the .re file's shape (the PEP signatures
// iRODS 4.3 calls, every helper defined, braces balanced, the delay hints) so an edit cannot
// silently break what cannot be executed in CI.

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../rules/native/irods_omero_agent.re');
const source = readFileSync(file, 'utf8');

/** The source with comments removed and string literals blanked, so braces and names are code. */
function code(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        out += '"';
      }
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    if (c === '"') inString = true;
    out += c;
  }
  return out;
}

const stripped = code(source);
const definitions = new Map<string, number>();
for (const m of stripped.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\)\s*\{/gm)) {
  definitions.set(m[1]!, m[2]!.trim() === '' ? 0 : m[2]!.split(',').length);
}

describe('native rule file', () => {
  it('defines each PEP with the argument count iRODS 4.3 passes (instance, comm, API inputs)', () => {
    expect(Object.fromEntries([...definitions].filter(([name]) => name.startsWith('pep_')))).toEqual({
      pep_api_data_obj_put_post: 5,
      pep_api_data_obj_create_post: 3,
      pep_api_data_obj_open_post: 3,
      pep_api_replica_open_post: 4,
      pep_api_data_obj_close_post: 3,
      pep_api_replica_close_post: 3,
      pep_api_phy_path_reg_post: 3,
      pep_api_data_obj_rename_post: 3,
      pep_api_data_obj_copy_post: 4,
    });
  });

  it('defines every ioa_ rule it calls, and every PEP body swallows errors with errorcode()', () => {
    const constants = new Set([...stripped.matchAll(/^(ioa_[a-z_]+)\s*=/gm)].map((m) => m[1]!));
    for (const m of stripped.matchAll(/\b(ioa_[a-z_]+)\b/g)) {
      expect(definitions.has(m[1]!) || constants.has(m[1]!), m[1]).toBe(true);
    }
    for (const m of stripped.matchAll(/^pep_[a-z_]+\([^)]*\)\s*\{([^}]*)\}/gm)) {
      expect(m[1]!.trim()).toMatch(/^\*ec = errorcode\(ioa_[a-z_]+\(.*\)\);$/);
    }
  });

  it('has balanced braces and parentheses outside strings and comments', () => {
    const count = (ch: string): number => stripped.split(ch).length - 1;
    expect(count('{')).toBe(count('}'));
    expect(count('(')).toBe(count(')'));
  });

  it('queues the POST for the native engine in the delay server with a retry policy', () => {
    expect(source).toContain(
      'delay("<INST_NAME>irods_rule_engine_plugin-irods_rule_language-instance</INST_NAME><PLUSET>10s</PLUSET><EF>30s REPEAT UNTIL SUCCESS OR 20 TIMES</EF>")',
    );
    expect(source).toContain('"X-Agent-Token: " ++ ioa_token');
    expect(source).toMatch(/\*response like "\*\\"accepted\\":true\*"/);
  });
});
