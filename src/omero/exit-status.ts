import type { OmeroCliErrorCode } from './omero-cli-error.js';

/**
 * How an `omero` (OMERO.py) process ended, sorted. OMERO.py dies with statuses such as 554 or
 * 564 (omero/plugins/sessions.py `ctx.die(rc, text)`) and exits with `sys.exit(rv)`
 * (omero/main.py), so the operating system reports them modulo 256: 554 arrives as 42 and the
 * login's 564 as 52, the very status `omero hql` uses for a bad query. The status alone is
 * therefore ambiguous: the message each `die` prints to stderr decides, the status only confirms.
 */
export interface ExitClass {
  readonly code: OmeroCliErrorCode;
  /**
   * False when the CLI stopped before the command did anything (arguments refused, session not
   * created or joined): nothing changed in OMERO, so the same call may simply be repeated.
   */
  readonly workStarted: boolean;
  /** A short reason from stderr (the last meaningful line), for the sentence shown to people. */
  readonly reason: string;
}

interface KnownDeath {
  /** OMERO.py's own status (before the operating system truncates it to 8 bits). */
  readonly rc: number;
  /** What `die` prints with it. */
  readonly message: RegExp;
  readonly code: OmeroCliErrorCode;
  readonly workStarted: boolean;
  /** Said instead of the CLI's own words when those would mislead a reader. */
  readonly meaning?: string;
}

const KNOWN: readonly KnownDeath[] = [
  // sessions.login, before any command work.
  { rc: 554, message: /Ice\.ConnectionRefusedException/, code: 'unreachable', workStarted: false },
  { rc: 555, message: /Ice\.DNSException/, code: 'unreachable', workStarted: false },
  { rc: 556, message: /InternalException: Failed to connect/, code: 'unreachable', workStarted: false },
  { rc: 523, message: /Bad session key/, code: 'login_refused', workStarted: false },
  { rc: 524, message: /incorrect password attempts/, code: 'login_refused', workStarted: false },
  { rc: 525, message: /User account error/, code: 'login_refused', workStarted: false },
  { rc: 557, message: /SecurityViolation/, code: 'login_refused', workStarted: false },
  // A missing or wrong password: a wrong one makes the CLI ask again, which it cannot without a terminal.
  {
    rc: 564,
    message: /is not a terminal: cannot request (password|username|server)/,
    code: 'login_refused',
    workStarted: false,
    meaning: 'the password was wrong or missing',
  },
  // omero hql's own errors.
  { rc: 52, message: /Bad query/, code: 'bad_query', workStarted: true },
  { rc: 53, message: /SecurityViolation/, code: 'login_refused', workStarted: true },
  { rc: 54, message: /SecurityViolation/, code: 'login_refused', workStarted: true },
];

/** Ice exceptions that mean the network or the server went away, whatever the command was doing. */
const ICE_NETWORK = /Ice\.(ConnectionRefused|ConnectionLost|ConnectTimeout|Timeout|Socket|DNS|CommunicatorDestroyed|ConnectFailed)Exception/;

/** The last line of stderr that says something (not a traceback frame, not blank), cut short. */
export function lastReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('File "') && l !== 'Traceback (most recent call last):' && !/^[\^~]+$/.test(l));
  const last = lines[lines.length - 1] ?? '';
  return last.length > 300 ? `${last.slice(0, 297)}...` : last;
}

export function classifyExit(exitCode: number, stderr: string): ExitClass {
  const reason = lastReason(stderr);
  const status = exitCode & 0xff;
  const known = KNOWN.find((k) => (k.rc & 0xff) === status && k.message.test(reason));
  if (known) return { code: known.code, workStarted: known.workStarted, reason: known.meaning ?? reason };
  if (status === 2) {
    // argparse: "omero: error: argument <subcommand>: invalid choice: 'transfer' (choose from …)"
    if (/invalid choice: 'transfer'/.test(stderr)) return { code: 'transfer_plugin_missing', workStarted: false, reason };
    return { code: 'usage', workStarted: false, reason };
  }
  if (/FileNotFoundError/.test(stderr) && /transfer\.xml/.test(stderr)) return { code: 'folder_missing', workStarted: true, reason };
  if (ICE_NETWORK.test(stderr)) return { code: 'unreachable', workStarted: true, reason };
  return { code: 'failed', workStarted: true, reason: reason || `exit status ${exitCode}` };
}
