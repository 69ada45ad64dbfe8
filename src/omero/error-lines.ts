/**
 * The lines of a CLI's stderr that say what went wrong, kept for the step's detail so a failure
 * that exits 0 (unpack ignores each import's status) still leaves its clue. Bounded: the first
 * lines (usually the cause) and the last ones (a traceback's final line), each once, cut short.
 */
const MEANINGFUL = [
  // The importer's own words when it imported nothing (ome/omero-blitz CommandLineImporter.start).
  /^No imports (found|due to errors!)/,
  // Java logback lines at ERROR or WARN (the importer's ErrorHandler and ImportLibrary log there).
  /\s(ERROR|WARN)\s/,
  // Python's logging.basicConfig format (omero/main.py sets WARN): "WARNING:generate_omero_objects:…".
  /^(WARNING|ERROR|CRITICAL):/,
  // An exception line, Java or Python: "java.io.FileNotFoundException: …", "KeyError: 'Image:5'".
  /^(Caused by: )?[\w.$]*(Exception|Error)\b/,
  // The importer's in-place (ln_s) checks, which span several lines (transfers/AbstractExecFileTransfer).
  /^Check failed: /,
  /do not have access to the ManagedRepository/,
  /The server could not check the size of the file/,
  /server process has no read access/,
];

const MAX_LINE = 400;

export function isErrorLine(line: string): boolean {
  return MEANINGFUL.some((re) => re.test(line));
}

export class ErrorLineCollector {
  private readonly head: string[] = [];
  private tail: string[] = [];
  private total = 0;

  constructor(
    private readonly headSize = 30,
    private readonly tailSize = 10,
  ) {}

  push(raw: string): void {
    const line = raw.trim();
    if (line === '' || !isErrorLine(line)) return;
    const cut = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
    this.total += 1;
    if (this.head.includes(cut) || this.tail.includes(cut)) return;
    if (this.head.length < this.headSize) {
      this.head.push(cut);
      return;
    }
    this.tail.push(cut);
    if (this.tail.length > this.tailSize) this.tail = this.tail.slice(-this.tailSize);
  }

  /** The kept lines, in the order they were printed. */
  lines(): string[] {
    return [...this.head, ...this.tail];
  }

  /** How many error lines were printed, repeats included. */
  count(): number {
    return this.total;
  }
}
