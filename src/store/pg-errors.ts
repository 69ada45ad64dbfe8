/** What a failed PostgreSQL call means for the caller, from its SQLSTATE or its socket error. */

// Connection exceptions (08…), the server shutting down or refusing new work (57P01–57P03,
// 53300 too many connections), and the socket-level failures node-postgres passes through.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The database cannot be reached or will not take work now: retrying later may succeed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/**
 * PostgreSQL refused the values themselves: a data exception (22…: out of range, an invalid
 * character, a bad format) or an integrity violation (23…: a check, a unique key). Sending the
 * same values again fails again.
 */
export function isDataRefusal(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The SQLSTATE of a PostgreSQL error, for the record. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = codeOf(err);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
