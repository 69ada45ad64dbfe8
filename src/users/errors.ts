/** One problem in a mapping file: `where` is the place in the file (`users.alice`, `prefixes[0].grants[1].acl`). */
export interface UserMapIssue {
  readonly where: string;
  readonly message: string;
}

/**
 * The mapping file cannot be used. `file` names it; `issues` list every offending place, so an
 * admin fixes the file in one go rather than one error per restart.
 */
export class UserMapError extends Error {
  override readonly name = 'UserMapError';
  readonly code: 'user_map_invalid' | 'user_map_unreadable';
  readonly file: string;
  readonly issues: readonly UserMapIssue[];

  constructor(init: {
    code: 'user_map_invalid' | 'user_map_unreadable';
    file: string;
    issues: readonly UserMapIssue[];
    cause?: unknown;
  }) {
    const detail = init.issues.map((i) => (i.where ? `${i.where}: ${i.message}` : i.message)).join('; ');
    super(`${init.file}: ${detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.file = init.file;
    this.issues = Object.freeze([...init.issues]);
  }
}

/** The archive's OMERO owners (or groups) that the mapping maps to nobody in iRODS, with `fail`. */
abstract class UnmappedOmeroNamesError extends Error {
  readonly retryable = false;
  /** Every unmatched name, in the archive's order. */
  readonly omeroNames: readonly string[];

  protected constructor(kind: 'user' | 'group', names: readonly string[], mapSource: string | undefined) {
    const list = names.map((n) => `'${n}'`).join(', ');
    const where = mapSource ? ` (add it under "${kind}s" in ${mapSource})` : ' (no mapping file is configured: set AGENT_USER_MAP)';
    super(`no iRODS ${kind} is mapped for OMERO ${kind} ${list}${where}; nothing was granted`);
    this.omeroNames = Object.freeze([...names]);
  }
}

/**
 * The archive's original OMERO owner has no iRODS user and the mapping says `no_match: fail`.
 * Not retryable as is: an admin adds the user to the mapping file, then replays the job.
 */
export class NoUserMappingError extends UnmappedOmeroNamesError {
  override readonly name = 'NoUserMappingError';
  readonly code = 'no_user_mapping' as const;
  /** The first unmatched OMERO user (provenance `original_user`). */
  readonly omeroUser = this.omeroNames[0] ?? '';
  /** Every unmatched OMERO user of the archive. */
  readonly omeroUsers = this.omeroNames;

  constructor(omeroUsers: readonly string[], mapSource: string | undefined) {
    super('user', omeroUsers, mapSource);
  }
}

/** The archive's OMERO group has no iRODS group and the mapping says `no_group_match: fail`. */
export class NoGroupMappingError extends UnmappedOmeroNamesError {
  override readonly name = 'NoGroupMappingError';
  readonly code = 'no_group_mapping' as const;

  constructor(omeroGroups: readonly string[], mapSource: string | undefined) {
    super('group', omeroGroups, mapSource);
  }
}

/** The caller passed something the planner refuses to act on (a bug in the caller, never data). */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
  readonly code = 'invalid_plan_input' as const;
  readonly retryable = false;
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}
