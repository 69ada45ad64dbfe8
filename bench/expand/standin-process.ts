/**
 * Child process of the expand bench: the iRODS HTTP API stand-in (argv: vault folder), in a
 * process of its own so that its CPU is not the measured process's, and its CPU time can be
 * read per phase (it is the other half of every expansion).
 */
import { startIrodsStandin } from '../../test/standins/irods-http-api/index.js';
import { failChild, serveParent } from '../support/child-process.js';
import { inProcessProfiler } from '../support/cpu-profiler.js';
import { ALICE } from './identities.js';

const profiler = inProcessProfiler();

startIrodsStandin({ vaultDir: process.argv[2], users: [ALICE] }).then(
  (standin) =>
    serveParent(
      { baseUrl: standin.baseUrl },
      {
        cpu: async () => process.cpuUsage(),
        'profile-start': () => profiler.start(),
        'profile-stop': (file) => profiler.stop(file as string),
      },
      () => standin.close(),
    ),
  failChild,
);
