import type { UnpackReport } from './unpack-output.js';

/**
 * What the omero step records the moment unpack ends (`detail.omero_unpack`), before it judges
 * the outcome: the ids of what was imported, the counts and the error lines, so neither a
 * failure after the imports (unpack crashing, a timeout) nor a later retry loses them.
 * snake_case: stored as is in the job step's detail.
 */
export interface UnpackRecord {
  readonly server: string;
  readonly mode: 'ln_s' | 'upload';
  readonly folder: string;
  readonly image_ids: readonly string[];
  readonly plate_ids: readonly string[];
  readonly fileset_ids: readonly string[];
  readonly imports: number;
  readonly images_imported: number;
  readonly import_errors: number;
  readonly no_imports: number;
  readonly error_lines: readonly string[];
  readonly error_lines_total: number;
  readonly finished_at: string;
  /** 'failed': unpack did not end cleanly (exit status, timeout, stop); its ids may not be all it made. */
  readonly outcome: 'finished' | 'failed';
  /** The CLI's exit status when it failed (null: stopped by a signal or never started). */
  readonly exit_code?: number | null;
}

export interface UnpackFacts {
  readonly server: string;
  readonly mode: 'ln_s' | 'upload';
  readonly folder: string;
  readonly finishedAt: string;
  /** Set when unpack did not end cleanly. */
  readonly failure?: { readonly exitCode: number | null } | undefined;
}

export function unpackRecord(report: UnpackReport, facts: UnpackFacts): UnpackRecord {
  return {
    server: facts.server,
    mode: facts.mode,
    folder: facts.folder,
    image_ids: report.imageIds,
    plate_ids: report.plateIds,
    fileset_ids: report.filesetIds,
    imports: report.imports,
    images_imported: report.imagesImported,
    import_errors: report.importErrors,
    no_imports: report.noImports,
    error_lines: report.errorLines,
    error_lines_total: report.errorLinesTotal,
    finished_at: facts.finishedAt,
    outcome: facts.failure ? 'failed' : 'finished',
    ...(facts.failure ? { exit_code: facts.failure.exitCode } : {}),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const texts = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * A record read back from a step's detail (JSON), or undefined if it is not one. Records
 * written before a field existed get its empty value; those without `outcome` were written
 * only when unpack had finished.
 */
export function readUnpackRecord(value: unknown): UnpackRecord | undefined {
  if (!isRecord(value) || typeof value.server !== 'string' || typeof value.folder !== 'string' || !Array.isArray(value.image_ids)) return undefined;
  if (value.mode !== 'ln_s' && value.mode !== 'upload') return undefined;
  return {
    server: value.server,
    mode: value.mode,
    folder: value.folder,
    image_ids: texts(value.image_ids),
    plate_ids: texts(value.plate_ids),
    fileset_ids: texts(value.fileset_ids),
    imports: count(value.imports),
    images_imported: count(value.images_imported),
    import_errors: count(value.import_errors),
    no_imports: count(value.no_imports),
    error_lines: texts(value.error_lines),
    error_lines_total: count(value.error_lines_total),
    finished_at: typeof value.finished_at === 'string' ? value.finished_at : '',
    outcome: value.outcome === 'failed' ? 'failed' : 'finished',
    ...(typeof value.exit_code === 'number' || value.exit_code === null ? { exit_code: value.exit_code } : {}),
  };
}

/** Whether the imports left anything in OMERO that the record knows of. */
export function importedAnything(record: UnpackRecord): boolean {
  return record.image_ids.length > 0 || record.plate_ids.length > 0 || record.fileset_ids.length > 0 || record.images_imported > 0;
}
