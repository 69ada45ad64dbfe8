import { describe, expect, it } from 'vitest';
import type { EventBody } from '../../../src/intake/landed-event.js';
import { isObjectEvent, objectEventRefusal } from '../../../src/intake/object-event-bodies.js';

const base = { timestamp: '2026-01-02T03:04:05Z', data: { zone: 'tempZone', logical_path: '/tempZone/home/lab/run1/a.tiff', user: 'alice', pep: 'pep_api_mod_avu_metadata_post' } };
const body = (type: string, data: Record<string, unknown>) => ({ ...base, type, data: { ...base.data, ...data } }) as unknown as EventBody;

describe('the fields metadata.changed and registered_data.changed add to an event', () => {
  it('takes what the rules send, and fields it does not know', () => {
    expect(objectEventRefusal(body('metadata.changed', { entity_type: 'data_object', attributes: ['stain'], later: { x: 1 } }))).toBeUndefined();
    expect(objectEventRefusal(body('metadata.changed', { entity_type: 'collection' }))).toBeUndefined();
    expect(objectEventRefusal(body('registered_data.changed', { entity_type: 'collection', operation: 'renamed', destination_logical_path: '/tempZone/home/lab2' }))).toBeUndefined();
    expect(isObjectEvent(body('metadata.changed', {}))).toBe(true);
    expect(isObjectEvent(body('data_object.landed', {}))).toBe(false);
  });

  it('refuses a missing or unknown entity_type, attributes that are not strings, an unknown operation, a destination that is not canonical', () => {
    expect(objectEventRefusal(body('metadata.changed', {}))).toMatchObject({ code: 'missing_field', field: 'data.entity_type' });
    expect(objectEventRefusal(body('metadata.changed', { entity_type: 'resource' }))).toMatchObject({ code: 'invalid_value', field: 'data.entity_type' });
    expect(objectEventRefusal(body('metadata.changed', { entity_type: 'data_object', attributes: 'stain' }))).toMatchObject({ code: 'wrong_type', field: 'data.attributes' });
    expect(objectEventRefusal(body('registered_data.changed', { entity_type: 'data_object' }))).toMatchObject({ code: 'missing_field', field: 'data.operation' });
    expect(objectEventRefusal(body('registered_data.changed', { entity_type: 'data_object', operation: 'moved' }))).toMatchObject({ field: 'data.operation' });
    expect(
      objectEventRefusal(body('registered_data.changed', { entity_type: 'data_object', operation: 'renamed', destination_logical_path: '/tempZone/home/../etc' })),
    ).toMatchObject({ code: 'non_canonical_path', field: 'data.destination_logical_path' });
  });

  it('leaves other event types to the common contract', () => {
    expect(objectEventRefusal(body('data_object.landed', {}))).toBeUndefined();
    expect(objectEventRefusal(body('something.else', { entity_type: 42 }))).toBeUndefined();
  });
});
