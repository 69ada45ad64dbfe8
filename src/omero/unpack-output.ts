import { ErrorLineCollector } from './error-lines.js';

/**
 * What `omero transfer unpack` prints that tells what it did. Unpack runs `omero import` once per
 * file or fileset, in process, and the importer's Java child inherits both streams. Per import,
 * in the importer's default output style (ome/omero-blitz LoggingImportMonitor
 * `outputImageOrPlateIds`):
 *
 * - an image import: `Image:123,124` on stdout, then `Other imported objects:` and
 *   `Fileset:<id>` on stderr;
 * - a plate import (HCS): `Plate:<id>` on stdout and the images on **stderr**, one `Image:<id>`
 *   a line after `Other imported objects:` and `Fileset:<id>` ("only pixel ids hit stdout" is
 *   the comment there);
 * - stderr, once per import that got that far: `==> Summary` then `1 file uploaded, 1 fileset
 *   created, 2 images imported, 0 errors in 0:00:01.234` (`, 1 plate created` for plates);
 * - an import that found nothing prints `No imports found` (a file missing or unreadable) or
 *   `No imports due to errors!` (a file no reader could open), and no Summary at all.
 *
 * Unpack ignores each import's exit status and exits 0 even when every import failed, so the
 * counts and the error lines are how a failure shows; after the imports, unpack itself may
 * crash (a failed image with ROIs, a failed plate) and exit 1 with what was imported already
 * printed. Nothing here says which source image became which OMERO image (omero-cli-transfer
 * #71): see registration-lookup.ts for that.
 */
export interface UnpackReport {
  /** OMERO ids of the images the imports created, as text, in the order printed, each once. */
  readonly imageIds: readonly string[];
  /** Plates the imports created (HCS files), as printed on stdout. */
  readonly plateIds: readonly string[];
  /** One fileset per successful import. */
  readonly filesetIds: readonly string[];
  /** Import summaries seen (one per import that got as far as reporting). */
  readonly imports: number;
  readonly imagesImported: number;
  /** Errors the summaries count, plus each import that imported nothing (it prints no summary). */
  readonly importErrors: number;
  /** Imports that printed "No imports found" or "No imports due to errors!". */
  readonly noImports: number;
  /** stderr lines that say what went wrong (bounded, see error-lines.ts). */
  readonly errorLines: readonly string[];
  readonly errorLinesTotal: number;
  /** More ids were printed than `maxIds`; the lists are incomplete. */
  readonly overflow: boolean;
}

const STDOUT_IDS = /^(Image|Plate):([0-9,]*)$/;
const OTHER_OBJECTS = 'Other imported objects:';
const OTHER_OBJECT = /^(Image|Plate|Fileset):(\d+)$/;
const SUMMARY_LINE = /(\d+) images? imported, (\d+) errors? in /;
const NOTHING_IMPORTED = /^No imports (found|due to errors!)/;

export class UnpackOutputParser {
  private readonly ids = { Image: new Set<string>(), Plate: new Set<string>(), Fileset: new Set<string>() };
  private readonly errors = new ErrorLineCollector();
  private imports = 0;
  private imagesImported = 0;
  private summaryErrors = 0;
  private noImports = 0;
  private overflow = false;
  /** Inside an "Other imported objects:" block of stderr. */
  private inObjects = false;

  constructor(private readonly maxIds = 1_000_000) {}

  readonly onStdoutLine = (line: string): void => {
    const m = STDOUT_IDS.exec(line.trim());
    if (!m) return;
    // The separator is written before non-image objects too, so empty items occur: skipped.
    for (const id of (m[2] ?? '').split(',')) if (/^\d+$/.test(id)) this.add(m[1] as 'Image' | 'Plate', id);
  };

  readonly onStderrLine = (raw: string): void => {
    const line = raw.trim();
    if (line === OTHER_OBJECTS) {
      this.inObjects = true;
      return;
    }
    const object = OTHER_OBJECT.exec(line);
    if (this.inObjects && object) {
      this.add(object[1] as 'Image' | 'Plate' | 'Fileset', object[2] as string);
      return;
    }
    // The block ends with the Summary (which starts with a blank line); a log line another
    // thread slips in does not end it.
    if (line === '' || line === '==> Summary') this.inObjects = false;
    const summary = SUMMARY_LINE.exec(line);
    if (summary) {
      this.imports += 1;
      this.imagesImported += Number(summary[1]);
      this.summaryErrors += Number(summary[2]);
    }
    if (NOTHING_IMPORTED.test(line)) this.noImports += 1;
    this.errors.push(line);
  };

  private add(kind: 'Image' | 'Plate' | 'Fileset', id: string): void {
    const set = this.ids[kind];
    if (set.has(id)) return;
    if (this.ids.Image.size + this.ids.Plate.size + this.ids.Fileset.size >= this.maxIds) {
      this.overflow = true;
      return;
    }
    set.add(id);
  }

  report(): UnpackReport {
    return {
      imageIds: [...this.ids.Image],
      plateIds: [...this.ids.Plate],
      filesetIds: [...this.ids.Fileset],
      imports: this.imports,
      imagesImported: this.imagesImported,
      importErrors: this.summaryErrors + this.noImports,
      noImports: this.noImports,
      errorLines: this.errors.lines(),
      errorLinesTotal: this.errors.count(),
      overflow: this.overflow,
    };
  }
}
