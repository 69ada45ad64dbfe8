/**
 * What `omero transfer unpack` prints that tells what it did. Unpack itself prints nothing
 * useful (its log messages go to an unconfigured Python logger), but it runs `omero import`
 * once per file or fileset, in process, and the importer's Java child inherits stdout:
 *
 * - stdout, one line per imported fileset, in the importer's default output style (`ids`):
 *   `Image:123,124` (ome/omero-blitz LoggingImportMonitor.outputImageIds; the separator is
 *   written before non-image objects too, so empty items occur and are skipped);
 * - stderr, once per import: `==> Summary` then `1 file uploaded, 1 fileset created,
 *   2 images imported, 0 errors in 0:00:01.234` (with `, 1 plate created` for plates).
 *
 * Unpack ignores each import's exit status (it calls the import non-strictly) and exits 0 even
 * when every import failed; the summaries' error counts and the Image lines are how a failure
 * shows. Neither says which source image became which OMERO image (omero-cli-transfer #71):
 * see registration-lookup.ts for that.
 */
export interface UnpackReport {
  /** OMERO ids of the images the imports created, as text, in the order printed, each once. */
  readonly imageIds: readonly string[];
  /** Import summaries seen (one per import that got as far as reporting). */
  readonly imports: number;
  readonly imagesImported: number;
  readonly importErrors: number;
  /** More ids were printed than `maxIds`; the list is incomplete. */
  readonly overflow: boolean;
}

const IMAGE_LINE = /^Image:([0-9,]*)$/;
const SUMMARY_LINE = /(\d+) images? imported, (\d+) errors? in /;

export class UnpackOutputParser {
  private readonly ids = new Set<string>();
  private imports = 0;
  private imagesImported = 0;
  private importErrors = 0;
  private overflow = false;

  constructor(private readonly maxIds = 1_000_000) {}

  readonly onStdoutLine = (line: string): void => {
    const m = IMAGE_LINE.exec(line.trim());
    if (!m) return;
    for (const id of (m[1] ?? '').split(',')) {
      if (!/^\d+$/.test(id)) continue;
      if (this.ids.size >= this.maxIds) {
        this.overflow = true;
        return;
      }
      this.ids.add(id);
    }
  };

  readonly onStderrLine = (line: string): void => {
    const m = SUMMARY_LINE.exec(line);
    if (!m) return;
    this.imports += 1;
    this.imagesImported += Number(m[1]);
    this.importErrors += Number(m[2]);
  };

  report(): UnpackReport {
    return {
      imageIds: [...this.ids],
      imports: this.imports,
      imagesImported: this.imagesImported,
      importErrors: this.importErrors,
      overflow: this.overflow,
    };
  }
}
