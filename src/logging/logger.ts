import { pino, type Logger, type DestinationStream } from 'pino';
import { serializeError } from './error-serializer.js';

export type { Logger } from 'pino';

/** Lines are written to stdout in batches of at least this many bytes… */
const BATCH_BYTES = 4096;
/** …or after this long, so a quiet agent's lines still show at once to an operator. */
const FLUSH_EVERY_MS = 500;

/**
 * The logger of a long-running agent process: JSON lines to stdout, written asynchronously so a
 * log line never holds up a request, and in batches: under load one write per ~4 KiB of lines
 * instead of one per line (a system call per request was a tenth of the intake's CPU). pino
 * flushes what is buffered when the process exits; a SIGKILL loses at most half a second.
 */
export function createProcessLogger(level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  const timer = setInterval(() => destination.flush(), FLUSH_EVERY_MS);
  timer.unref();
  destination.on('close', () => clearInterval(timer));
  return createLogger({ level }, destination);
}

/**
 * The agent's structured logger. Child loggers carry event_id, job_id and archive; secrets are
 * redacted wherever they might appear in a logged object.
 */
export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'irods-omero-agent',
      level: options.level ?? 'info',
      serializers: { err: serializeError },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'req.headers.authorization',
          'req.headers["webhook-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
