// Lint: typescript-eslint's recommended type-aware rules, plus the house rules of STYLE.md
// (no console in src/, no `any`, no floating promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A later config object's options for a rule replace an earlier one's, so the restrictions each
// folder gets are listed whole here and combined below.
const SQL_OUTSIDE_STORE = { selector: "CallExpression[callee.property.name='query']", message: 'SQL belongs in src/store (a repository or the job lifecycle).' };
const LIFECYCLE_INTERNALS = { group: ['**/store/lifecycle/*'], message: 'Use `lifecycle` from store/index.js: its transitions are the only writers of job state.' };
// docs/architecture.md "The catalog layer": GenQuery text is written in src/irods/catalog only.
const GENQUERY_MESSAGE = 'GenQuery belongs in src/irods/catalog: ask a typed catalog function (irods/index.js).';
const GENQUERY_OUTSIDE_IRODS = [
  { selector: 'MemberExpression[property.name=/^genquery(All)?$/]', message: GENQUERY_MESSAGE },
  { selector: 'Literal[value=/SELECT |\\b(COLL|DATA|META_COLL|META_DATA|USER)_[A-Z_]+ (=|like|in) /]', message: GENQUERY_MESSAGE },
  { selector: 'TemplateElement[value.raw=/SELECT |\\b(COLL|DATA|META_COLL|META_DATA|USER)_[A-Z_]+ (=|like|in) /]', message: GENQUERY_MESSAGE },
];
// docs/architecture.md "Layers": the libraries below the application know nothing of it.
const APPLICATION_FOLDERS = ['config', 'store', 'pipeline', 'http', 'intake', 'cli', 'omero', 'users'];
const APPLICATION_IMPORTS = {
  group: APPLICATION_FOLDERS.map((folder) => `**/${folder}/*`),
  message: 'irods/, archive/ and ome/ are libraries: they import nothing from the application (config, store, pipeline, http, intake, cli, omero, users).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'rules/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // fastify plugins and hooks are promise-based by contract even when they await nothing.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // DESIGN.md: SQL lives in src/store only, and every write of a job's state goes through the
    // job lifecycle's public functions (store/index.ts `lifecycle`), never its statements.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [LIFECYCLE_INTERNALS] }],
      'no-restricted-syntax': ['error', SQL_OUTSIDE_STORE, ...GENQUERY_OUTSIDE_IRODS],
    },
  },
  {
    files: ['src/irods/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', SQL_OUTSIDE_STORE] },
  },
  {
    files: ['src/irods/**/*.ts', 'src/archive/**/*.ts', 'src/ome/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [APPLICATION_IMPORTS] }] },
  },
  {
    // Tests and benches may be looser with unsafe-* on parsed JSON.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
