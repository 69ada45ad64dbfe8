import { describeIceException, lastIceException } from './ice-exception.js';
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
  // 556 is sessions.login's catch-all: sorted by what it caught (see classifyLoginCatchAll).
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
  // omero obj (plugins/obj.py): an action names an object the server does not have (334), or
  // gets the wrong number of arguments (335). Earlier actions of a transaction file stay done.
  { rc: 334, message: /^No object found: /, code: 'object_missing', workStarted: true },
  { rc: 335, message: /^usage: /, code: 'usage', workStarted: true },
];

/**
 * Ice exceptions that mean the network or the server went away, whatever the command was doing;
 * named `Ice.XException` by Python (a traceback, OMERO.py's own messages) and `::Ice::XException`
 * by IcePy's printing of the exception itself.
 */
const ICE_NETWORK =
  /(\bIce\.|::Ice::)(ConnectionRefused|ConnectionLost|ConnectTimeout|ConnectionTimeout|CloseTimeout|Timeout|Socket|DNS|CommunicatorDestroyed|ConnectFailed)Exception/;

/**
 * What the server says when it refuses to create a session (Glacier2's CannotCreateSessionException
 * and its OMERO subclasses, a SecurityViolation such as a group the account is not in).
 */
const SESSION_REFUSED = /WrappedCreateSessionException|CannotCreateSessionException|AuthenticationException|ExpiredCredentialException|SecurityViolation/;

/** omero/main.py `not_root()`: printed on stdout, exit status 1, before anything else runs. */
const ROOT_REFUSED = /^FATAL: Running .* as root can corrupt your directory permissions/m;

/** The last line of stderr that says something (not a traceback frame, not blank), cut short. */
export function lastReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('File "') && l !== 'Traceback (most recent call last):' && !/^[\^~]+$/.test(l));
  let last = lines[lines.length - 1] ?? '';
  // A printed Ice exception ends with its closing brace: say what it holds instead.
  const ice = last === '}' ? lastIceException(stderr) : undefined;
  if (ice) last = describeIceException(ice);
  return last.length > 300 ? `${last.slice(0, 297)}...` : last;
}

/**
 * sessions.login dies with 556 ("InternalException: Failed to connect: <exception>") for whatever
 * it did not catch by name: a refused session (a group the account may not use arrives as a
 * WrappedCreateSessionException carrying a SecurityViolation) as much as a network failure.
 */
function classifyLoginCatchAll(stderr: string, reason: string): ExitClass {
  if (SESSION_REFUSED.test(stderr)) return { code: 'login_refused', workStarted: false, reason };
  // Network exceptions and anything unknown: nothing was done yet, so trying again is harmless.
  return { code: 'unreachable', workStarted: false, reason };
}

export function classifyExit(exitCode: number, stderr: string, stdout = ''): ExitClass {
  const reason = lastReason(stderr);
  const status = exitCode & 0xff;
  if (status === 1 && ROOT_REFUSED.test(stdout)) {
    return { code: 'runs_as_root', workStarted: false, reason: 'OMERO.py refuses to run as root' };
  }
  if (status === (556 & 0xff) && /InternalException: Failed to connect/.test(stderr)) return classifyLoginCatchAll(stderr, reason);
  const known = KNOWN.find((k) => (k.rc & 0xff) === status && k.message.test(reason));
  if (known) return { code: known.code, workStarted: known.workStarted, reason: known.meaning ?? reason };
  if (status === 2) {
    // argparse: "omero: error: argument <subcommand>: invalid choice: 'transfer' (choose from …)"
    if (/invalid choice: 'transfer'/.test(stderr)) return { code: 'transfer_plugin_missing', workStarted: false, reason };
    return { code: 'usage', workStarted: false, reason };
  }
  // The CLI itself was refused a file (an NFSRODS mount enforcing iRODS permissions).
  if (/^PermissionError\b/.test(reason)) return { code: 'permission_denied', workStarted: true, reason };
  if (/FileNotFoundError/.test(reason) && /transfer\.xml/.test(reason)) return { code: 'folder_missing', workStarted: true, reason };
  if (ICE_NETWORK.test(stderr)) return { code: 'unreachable', workStarted: true, reason };
  return { code: 'failed', workStarted: true, reason: reason || `exit status ${exitCode}` };
}
