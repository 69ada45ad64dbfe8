import { quoteEntry } from '../../archive/index.js';
import { LONGEST_LPATH_BYTES, LONGEST_NAME_BYTES, lpathProblem } from '../../irods/index.js';
import { StepFailure } from '../step-errors.js';

/**
 * Every path the expansion would create (`<target>/<entry>`) must be one iRODS and its clients
 * accept (src/irods/path-limits.ts): otherwise iRODS refuses the collection in the middle of the
 * expansion, or the HTTP API cuts the object's name, and users' iCommands cannot reach the
 * file. The first entry that does not fit fails the job as `path_too_long`, naming it.
 */
export function checkTargetPaths(target: string, entryPaths: Iterable<string>): void {
  for (const entry of entryPaths) {
    const problem = lpathProblem(`${target}/${entry}`);
    if (!problem) continue;
    const advice = 'Nothing was written. Shorten the folder or file names in the archive (or save it higher up in iRODS), then upload it again.';
    const why =
      problem.kind === 'path'
        ? `its path in iRODS would be ${problem.bytes} bytes long, and iRODS clients refuse paths longer than ${LONGEST_LPATH_BYTES} bytes`
        : `one of its names is ${problem.bytes} bytes long, and iRODS storage refuses names longer than ${LONGEST_NAME_BYTES} bytes`;
    throw new StepFailure('path_too_long', `The archive holds ${quoteEntry(entry)}: ${why}. ${advice}`, { entry });
  }
}
