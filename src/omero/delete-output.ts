/**
 * What `omero delete --report` prints (omero-py src/omero/cli.py, CmdControl.print_report and
 * GraphControl.print_request_description; src/omero/plugins/delete.py print_delete_response):
 *
 *   stdout  omero.cmd.Delete2 Image:1201-1203,1207 Dataset:311 ok
 *           Steps: 6
 *           Elapsed time: 0.412 secs.
 *           Flags: []
 *           Deleted objects
 *             Dataset:311
 *             Image:1201-1203,1207
 *             …
 *
 * and, when the server refused the request, no `ok` but on stderr `failed: '<name>'` and, for a
 * GraphException, `failed: <message>`. The CLI exits 0 either way (print_report writes the error
 * with ctx.err and returns), so the output decides.
 */
export interface DeleteReport {
  /** The server said `ok`. */
  readonly ok: boolean;
  /** Objects the server deleted, by class name (Image, Dataset, Fileset, …), ids as text in numeric order. */
  readonly deleted: Readonly<Record<string, readonly string[]>>;
  /** The server's refusal: the `failed:` lines of stderr, joined. */
  readonly failure: string | undefined;
}

/** `1201-1203,1207` → 1201, 1202, 1203, 1207 (the CLI's _order_and_range_ids, reversed). */
export function expandIdRanges(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)-(\d+)$/.exec(part.trim());
    if (range) {
      for (let id = BigInt(range[1] as string); id <= BigInt(range[2] as string); id += 1n) out.push(id.toString());
    } else if (/^\d+$/.test(part.trim())) {
      out.push(part.trim());
    }
  }
  return out;
}

export function parseDeleteOutput(stdout: string, stderr: string): DeleteReport {
  const lines = stdout.split('\n').map((l) => l.trimEnd());
  const ok = lines.some((l) => /^omero\.cmd\.Delete2 .*\bok$/.test(l) || l === 'ok');
  const deleted: Record<string, string[]> = {};
  const at = lines.indexOf('Deleted objects');
  if (at !== -1) {
    for (const line of lines.slice(at + 1)) {
      const m = /^\s+([A-Za-z]+):([\d,-]+)$/.exec(line);
      if (!m) break;
      deleted[m[1] as string] = expandIdRanges(m[2] as string);
    }
  }
  const failed = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('failed: '))
    .map((l) => l.slice('failed: '.length));
  return { ok, deleted, failure: failed.length ? failed.join('; ') : undefined };
}

/** Delete2's GraphException when a target is not there (omero-server GraphTraversal.objectsToCIs). */
export function isMissingTarget(failure: string): boolean {
  return /cannot read all the specified objects/.test(failure);
}
