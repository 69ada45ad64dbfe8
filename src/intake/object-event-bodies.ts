import { Type, type Static } from '@sinclair/typebox';
import { eventBodyValidator, type InputRefusal } from './event-validation.js';
import type { EventBody } from './landed-event.js';

/** AVUs changed on an object the agent registered in OMERO (docs/events.md). */
export const METADATA_CHANGED_EVENT = 'metadata.changed';
/** Data OMERO reads in place was renamed or removed anyway (docs/events.md). */
export const REGISTERED_DATA_CHANGED_EVENT = 'registered_data.changed';

const EntityType = Type.Union([Type.Literal('data_object'), Type.Literal('collection')]);

// Unknown fields are allowed and ignored, as in every event body (landed-event.ts).
const MetadataChangedData = Type.Object({
  entity_type: EntityType,
  // The rules send at most 20; the agent does not use them (it reads the object's AVUs), so only
  // their shape is checked.
  attributes: Type.Optional(Type.Array(Type.String({ maxLength: 2700 }), { maxItems: 1000 })),
});

const RegisteredDataChangedData = Type.Object({
  entity_type: EntityType,
  operation: Type.Union([Type.Literal('renamed'), Type.Literal('removed')]),
  destination_logical_path: Type.Optional(Type.String({ maxLength: 2700 })),
});

const MetadataChangedBody = Type.Object({ type: Type.Literal(METADATA_CHANGED_EVENT), data: MetadataChangedData });
const RegisteredDataChangedBody = Type.Object({ type: Type.Literal(REGISTERED_DATA_CHANGED_EVENT), data: RegisteredDataChangedData });

export type MetadataChangedEvent = EventBody & { readonly type: typeof METADATA_CHANGED_EVENT; readonly data: Static<typeof MetadataChangedData> };
export type RegisteredDataChangedEvent = EventBody & {
  readonly type: typeof REGISTERED_DATA_CHANGED_EVENT;
  readonly data: Static<typeof RegisteredDataChangedData>;
};
export type ObjectEvent = MetadataChangedEvent | RegisteredDataChangedEvent;

const validators: Readonly<Record<string, (body: unknown) => InputRefusal | undefined>> = {
  [METADATA_CHANGED_EVENT]: eventBodyValidator(MetadataChangedBody, []),
  [REGISTERED_DATA_CHANGED_EVENT]: eventBodyValidator(RegisteredDataChangedBody, ['destination_logical_path']),
};

/**
 * What the fields of one event type add to the common contract (checked first, by the route):
 * undefined when the body is fine or of another type.
 */
export function objectEventRefusal(body: EventBody): InputRefusal | undefined {
  return validators[body.type]?.(body);
}

export function isObjectEvent(body: EventBody): body is ObjectEvent {
  return body.type === METADATA_CHANGED_EVENT || body.type === REGISTERED_DATA_CHANGED_EVENT;
}
