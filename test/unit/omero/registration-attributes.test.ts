import { describe, expect, it } from 'vitest';
import { isRegistrationAttributeOf, OMERO_ID_ATTRIBUTES, parseRegistrationAttribute, registrationAttribute, registrationAvus } from '../../../src/omero/index.js';

const facility = { name: 'facility', isDefault: true };
const partner = { name: 'partner', isDefault: false };

describe('the registration AVU names', () => {
  it('keep the names registrations always had in the default server, and add the server name in any other', () => {
    expect(registrationAttribute('image', facility)).toBe('irods_omero_agent::omero_image_id');
    expect(registrationAttribute('registeredAt', facility)).toBe(OMERO_ID_ATTRIBUTES.registeredAt);
    expect(registrationAttribute('image', partner)).toBe('irods_omero_agent::omero_image_id::partner');
    expect(registrationAttribute('server', partner)).toBe('irods_omero_agent::omero_server::partner');
  });

  it('read back: which field, which server, and nothing else', () => {
    expect(parseRegistrationAttribute('irods_omero_agent::omero_project_id')).toEqual({ field: 'project', server: null });
    expect(parseRegistrationAttribute('irods_omero_agent::omero_mode::partner')).toEqual({ field: 'mode', server: 'partner' });
    expect(parseRegistrationAttribute('irods_omero_agent::omero_imagexid')).toBeUndefined();
    expect(parseRegistrationAttribute('irods_omero_agent::omero_image_id::Partner')).toBeUndefined();
    expect(parseRegistrationAttribute('irods_omero_agent::status')).toBeUndefined();
    expect(isRegistrationAttributeOf('irods_omero_agent::omero_image_id', facility)).toBe(true);
    expect(isRegistrationAttributeOf('irods_omero_agent::omero_image_id::partner', facility)).toBe(false);
    expect(isRegistrationAttributeOf('irods_omero_agent::omero_image_id::partner', partner)).toBe(true);
    expect(isRegistrationAttributeOf('irods_omero_agent::omero_image_id', partner)).toBe(false);
  });

  it('name every AVU of a registration in another server after it', () => {
    const registration = {
      images: [{ source_id: '3', omero_id: '999', path: 'a.tiff' }],
      projects: [{ source_id: '1', omero_id: '70', name: 'proj' }],
      datasets: [],
      screens: [],
      plates: [],
      unmatched_source_images: [],
      unmatched_omero_images: [],
    };
    const targets = registrationAvus(registration, { server: 'omero.partner.org:4064', mode: 'upload', registeredAt: 't', in: partner }, () => 'data_object');
    expect(targets.flatMap((t) => t.avus.map((a) => a.attribute))).toEqual([
      'irods_omero_agent::omero_server::partner',
      'irods_omero_agent::omero_mode::partner',
      'irods_omero_agent::omero_registered_at::partner',
      'irods_omero_agent::omero_project_id::partner',
      'irods_omero_agent::omero_image_id::partner',
    ]);
  });
});
