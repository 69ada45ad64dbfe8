/**
 * Child process of the intake bench: runs one target server (argv: name, log level) and answers
 * the parent's requests for its CPU time and record counts, then cleans up on `close`.
 */
import { failChild, serveParent } from '../support/child-process.js';
import { inProcessProfiler } from '../support/cpu-profiler.js';
import { startTarget, TARGETS, type TargetName } from './targets.js';

const name = process.argv[2] as TargetName;
if (!TARGETS.includes(name)) failChild(new Error(`unknown target ${String(name)}`));

const profiler = inProcessProfiler();

startTarget(name, { logLevel: process.argv[3] ?? 'info' }).then(
  (target) =>
    serveParent(
      { url: target.url, database: target.database },
      {
        cpu: async () => process.cpuUsage(),
        counts: () => target.counts(),
        'profile-start': () => profiler.start(),
        'profile-stop': (file) => profiler.stop(file as string),
      },
      () => target.close(),
    ),
  failChild,
);
