import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * The logger of a long-running agent process: JSON lines to stdout, written asynchronously so a
 * log line never holds up a request (pino flushes what is buffered when the process exits).
 */
export function createProcessLogger(level: string): Logger {
  return createLogger({ level }, pino.destination({ dest: 1, sync: false }));
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
