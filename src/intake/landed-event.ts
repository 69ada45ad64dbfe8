import { Type, type Static } from '@sinclair/typebox';

/** The event types the agent acts on; others are recorded and ignored with a reason. */
export const LANDED_EVENT = 'data_object.landed';

const Name = Type.String({ minLength: 1, maxLength: 256 });

const eventFields = {
  type: Type.String({ minLength: 1, maxLength: 128 }),
  timestamp: Type.String({ format: 'date-time' }),
  data: Type.Object(
    {
      zone: Name,
      logical_path: Type.String({ pattern: '^/[^/]+(/[^/]+)+$', maxLength: 2700 }),
      user: Name,
      pep: Type.String({ minLength: 1, maxLength: 128 }),
      user_zone: Type.Optional(Name),
      client_user: Type.Optional(Name),
      proxy_user: Type.Optional(Name),
      size: Type.Optional(Type.Integer({ minimum: 0 })),
      checksum: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      resource: Type.Optional(Name),
      source_logical_path: Type.Optional(Type.String({ maxLength: 2700 })),
      physical_path: Type.Optional(Type.String({ maxLength: 2700 })),
    },
    { additionalProperties: false },
  ),
};

/**
 * The body the iRODS rules POST (docs/events.md). Strict: an unexpected field is refused with
 * its name, so a typo in a rule cannot silently drop a fact.
 */
export const EventBody = Type.Object(eventFields, { additionalProperties: false });
export type EventBody = Static<typeof EventBody>;

/** The native rule's body: the same event plus its own delivery id (it cannot send headers). */
export const NativeEventBody = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' }), ...eventFields },
  { additionalProperties: false },
);
export type NativeEventBody = Static<typeof NativeEventBody>;

/**
 * Who landed the archive, as an ACL names them: the bare name for a user of this zone,
 * `name#zone` for a user of a federated zone (whose home zone is `user_zone`). Recorded bare, a
 * remote `alice#partnerZone` would be taken for this zone's `alice`, a different person, and
 * given her access.
 */
export function uploaderOf(data: EventBody['data']): string {
  return data.user_zone !== undefined && data.user_zone !== data.zone ? `${data.user}#${data.user_zone}` : data.user;
}
