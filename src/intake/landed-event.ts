import { Type, type Static } from '@sinclair/typebox';

/** The event types the agent acts on; others are recorded and ignored with a reason. */
export const LANDED_EVENT = 'data_object.landed';

const Name = Type.String({ minLength: 1, maxLength: 256 });

/** The largest value a PostgreSQL bigint holds is 2^63 - 1; a JSON number at or past 2^63 is not one. */
const INT64_LIMIT = 2 ** 63;

const LogicalPath = Type.String({
  maxLength: 2700,
  description: 'absolute and canonical: /zone/…/name, no empty, "." or ".." segments, no trailing slash (checked by logicalPathProblem)',
});

const eventFields = {
  type: Type.String({ minLength: 1, maxLength: 128 }),
  timestamp: Type.String({ format: 'date-time' }),
  // Unknown fields are allowed and ignored (docs/events.md promises it): a rule that adds a
  // field must not have every event refused by an agent that does not know it yet.
  data: Type.Object({
    zone: Name,
    logical_path: LogicalPath,
    user: Name,
    pep: Type.String({ minLength: 1, maxLength: 128 }),
    user_zone: Type.Optional(Name),
    client_user: Type.Optional(Name),
    proxy_user: Type.Optional(Name),
    size: Type.Optional(Type.Integer({ minimum: 0, exclusiveMaximum: INT64_LIMIT })),
    checksum: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    resource: Type.Optional(Name),
    source_logical_path: Type.Optional(LogicalPath),
    physical_path: Type.Optional(Type.String({ maxLength: 2700 })),
  }),
};

/**
 * The body the iRODS rules POST (docs/events.md). Strict about what it knows (types are never
 * coerced: "12" is not a size), silent about fields it does not know (they are ignored).
 */
export const EventBody = Type.Object(eventFields);
export type EventBody = Static<typeof EventBody>;

/** The native rule's body: the same event plus its own delivery id (it cannot send headers). */
export const NativeEventBody = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' }), ...eventFields });
export type NativeEventBody = Static<typeof NativeEventBody>;

/**
 * Why a logical path is not canonical, or undefined when it is: absolute, a zone and at least
 * one name below it, no empty segment (`//`, a trailing `/`), no `.` or `..`. iRODS itself
 * stores only canonical paths; anything else did not come from it, and `/zone/home/../../etc`
 * must not pass a watch filter that compares prefixes.
 */
export function logicalPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'it is not absolute';
  const segments = path.slice(1).split('/');
  if (segments.length < 2) return 'it names nothing below a zone';
  for (const segment of segments) {
    if (segment === '') return 'it has an empty segment (a doubled or trailing "/")';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
  }
  return undefined;
}

/**
 * Who landed the archive, as an ACL names them: the bare name for a user of this zone,
 * `name#zone` for a user of a federated zone (whose home zone is `user_zone`). Recorded bare, a
 * remote `alice#partnerZone` would be taken for this zone's `alice`, a different person, and
 * given her access.
 */
export function uploaderOf(data: EventBody['data']): string {
  return data.user_zone !== undefined && data.user_zone !== data.zone ? `${data.user}#${data.user_zone}` : data.user;
}
