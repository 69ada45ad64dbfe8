import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The project's own restrictions (eslint.config.js) on code placed in a given folder: GenQuery
 * only in src/irods, SQL only in src/store, and irods/, archive/ and ome/ importing nothing of
 * the application. Only those two rules are run, with the config's own file patterns, so no
 * type information is needed.
 */
const RULES = ['no-restricted-syntax', 'no-restricted-imports'];

type ConfigEntry = { files?: unknown; ignores?: unknown; rules?: Record<string, unknown> };

// eslint.config.js is plain JavaScript without declarations: loaded by URL, typed here.
const { default: config } = (await import(new URL('../../../eslint.config.js', import.meta.url).href)) as { default: ConfigEntry[] };

const restrictions = config
  .filter((entry) => entry.rules && RULES.some((rule) => rule in (entry.rules ?? {})))
  .map((entry) => ({
    ...(entry.files ? { files: entry.files } : {}),
    ...(entry.ignores ? { ignores: entry.ignores } : {}),
    rules: Object.fromEntries(Object.entries(entry.rules ?? {}).filter(([rule]) => RULES.includes(rule))),
  })) as Linter.Config[];

function problems(filename: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat', cwd: process.cwd() });
  const base: Linter.Config = { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } };
  return linter.verify(code, [base, ...restrictions], { filename: `${process.cwd()}/${filename}` }).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const genquery = `export const rows = (irods: { query: { genqueryAll(q: string): Promise<string[][]> } }, root: string) =>
  irods.query.genqueryAll(\`SELECT COLL_NAME WHERE COLL_NAME like '\${root}%'\`);\n`;

describe('eslint: where GenQuery, SQL and imports may go', () => {
  it('refuses GenQuery text or genquery calls outside src/irods, and allows them inside', () => {
    expect(problems('src/pipeline/steps/probe.ts', genquery)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: GenQuery belongs in src\/irods\/catalog/),
      expect.stringMatching(/^no-restricted-syntax: GenQuery belongs in src\/irods\/catalog/),
    ]);
    expect(problems('src/users/probe.ts', "export const where = (id: string) => `USER_ID in ('${id}')`;\n")).toHaveLength(1);
    expect(problems('src/irods/catalog/probe.ts', genquery)).toEqual([]);
    // OMERO's HQL (lower-case select, no iRODS columns) is not GenQuery.
    expect(problems('src/omero/probe.ts', "export const hql = 'select i.id from Image i where i.id in (1)';\n")).toEqual([]);
  });

  it('keeps SQL in src/store, also inside src/irods', () => {
    const sql = "export const q = (pool: { query(s: string): unknown }) => pool.query('SELECT 1');\n";
    expect(problems('src/irods/probe.ts', sql)).toEqual([expect.stringMatching(/^no-restricted-syntax: SQL belongs in src\/store/)]);
    expect(problems('src/store/probe.ts', sql)).toEqual([]);
  });

  it('lets irods/, archive/ and ome/ import nothing from the application folders', () => {
    for (const folder of ['irods', 'archive', 'ome']) {
      for (const app of ['config', 'store', 'pipeline', 'http', 'intake', 'cli', 'omero', 'users']) {
        expect(problems(`src/${folder}/probe.ts`, `import { x } from '../${app}/index.js';\nexport { x };\n`), `${folder} → ${app}`).toEqual([
          expect.stringMatching(/^no-restricted-imports: .*irods\/, archive\/ and ome\/ are libraries/),
        ]);
      }
    }
    expect(problems('src/ome/probe.ts', "import type { Avu } from '../irods/avu-rules.js';\nexport type { Avu };\n")).toEqual([]);
    expect(problems('src/pipeline/probe.ts', "import { x } from '../config/index.js';\nexport { x };\n")).toEqual([]);
  });
});
