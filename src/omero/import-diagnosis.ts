/**
 * What the importer's error lines (error-lines.ts) point at, as sentences for the person who
 * must act. Each rule keys on words the real tools print (cited), never on the agent's guesses.
 */
interface Rule {
  readonly matches: RegExp;
  readonly advice: string;
}

const RULES: readonly Rule[] = [
  {
    // ome/omero-blitz transfers/AbstractExecFileTransfer.failLocationCheck (ln_s, before linking).
    matches: /do not have access to the ManagedRepository|^Check failed: .* (does not exist|cannot be read|cannot be modified locally)/,
    advice:
      'In-place import (ln_s) needs the agent host to see OMERO\'s ManagedRepository at the path the server uses, writable by the agent\'s OS user: run the omero step on the OMERO server host or mount the repository there.',
  },
  {
    // AbstractExecFileTransfer.checkTarget (ln_s, after linking): the server cannot read the file.
    matches: /The server could not check the size of the file|server process has no read access/,
    advice:
      'The OMERO server could not read the files through its mount: the iRODS account NFSRODS maps the server\'s OS user to needs read access to the collection (NFSRODS caches permissions for up to 300 s by default, so access just granted may not be visible yet).',
  },
  {
    // A file the importer (or unpack) may not read: NFSRODS enforcing iRODS permissions.
    matches: /Permission denied|PermissionError/,
    advice:
      'A file was refused to the OMERO CLI: through an NFSRODS mount, the iRODS account it maps the agent\'s OS user to needs read access (NFSRODS caches permissions for up to 300 s by default, so access just granted may not be visible yet).',
  },
  {
    // ome/omero-blitz CommandLineImporter.start: nothing importable at a path (missing or unreadable).
    matches: /^No imports found/,
    advice:
      'The importer found nothing to import at a path transfer.xml names: the file is missing, or unreadable where the OMERO CLI looks (an NFSRODS mount refusing it looks the same).',
  },
];

/** One sentence per problem the lines show, in the order of RULES, each once. */
export function diagnoseImportErrors(lines: readonly string[]): string[] {
  return RULES.filter((rule) => lines.some((line) => rule.matches.test(line))).map((rule) => rule.advice);
}

/** Logback's prefix on the importer's log lines (date, ms, thread, level, logger): noise in a sentence. */
const LOG_PREFIX = /^\d{4}-\d\d-\d\d [\d:,.]+\s+\d+\s+\[[^\]]*\]\s+[A-Z]+\s+\S+\s+-\s+/;

/** The first error line, without its log prefix and cut short: a quote for the sentence people read. */
export function firstImporterWords(lines: readonly string[]): string | undefined {
  const first = lines[0]?.replace(LOG_PREFIX, '');
  if (first === undefined || first === '') return undefined;
  return first.length > 200 ? `${first.slice(0, 197)}...` : first;
}
