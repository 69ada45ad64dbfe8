/**
 * An Ice exception as OMERO.py prints it. Ice's Python exceptions stringify themselves through
 * IcePy (`ExceptionInfo::print`: "exception <type id>", then the members one a line between
 * braces), so `ctx.die(556, "InternalException: Failed to connect: %s" % e)` and an uncaught
 * traceback both print several lines, the last one being `}`:
 *
 *     InternalException: Failed to connect: exception ::omero::WrappedCreateSessionException
 *     {
 *         reason = User 3 is not a member of group 5 and cannot login
 *         concurrency = False
 *         backOff = -1
 *         type = ome.conditions.SecurityViolation
 *     }
 */
export interface PrintedIceException {
  /** The Slice type id, e.g. `::omero::WrappedCreateSessionException`. */
  readonly id: string;
  readonly members: Readonly<Record<string, string>>;
}

const BLOCK = /exception (::[\w:]+)[ \t]*\r?\n[ \t]*\{([^}]*)\}/g;
const MEMBER = /^\s*(\w+) = (.*?)\s*$/;

/** The last Ice exception printed in `text`, if any. */
export function lastIceException(text: string): PrintedIceException | undefined {
  let found: PrintedIceException | undefined;
  for (const m of text.matchAll(BLOCK)) {
    const members: Record<string, string> = {};
    for (const line of (m[2] ?? '').split('\n')) {
      const member = MEMBER.exec(line);
      if (member) members[member[1] as string] = member[2] as string;
    }
    found = { id: m[1] as string, members };
  }
  return found;
}

/** A short sentence for a printed Ice exception: its reason and type, or its type alone. */
export function describeIceException(e: PrintedIceException): string {
  const type = e.members.type || e.id.replace(/^::/, '');
  const reason = e.members.reason || e.members.message;
  return reason ? `${reason} (${type})` : type;
}
