import { describe, expect, it } from 'vitest';
import { annotationPairs, samePairs } from '../../../src/pipeline/annotation-sync/annotation-pairs.js';
import { registrationTargets } from '../../../src/pipeline/annotation-sync/registration-targets.js';
import { brokenRegistrationAvus } from '../../../src/pipeline/broken-registration.js';
import type { RegistrationBreakRow } from '../../../src/store/index.js';

const DEFAULT_RULES = { include: [], exclude: ['omero.'] };

describe('annotationPairs: what an object\'s AVUs become in OMERO', () => {
  it('leaves out the agent\'s own AVUs and the omero. ones; one pair per attribute, sorted by key', () => {
    const pairs = annotationPairs(
      [
        { attribute: 'stain', value: 'DAPI' },
        { attribute: 'irods_omero_agent::omero_image_id', value: '1203', units: 'image:51' },
        { attribute: 'omero.image.name', value: 'a.tiff', units: 'image:51' },
        { attribute: 'batch', value: '7' },
      ],
      DEFAULT_RULES,
    );
    expect(pairs).toEqual([
      ['batch', '7'],
      ['stain', 'DAPI'],
    ]);
  });

  it('reads units after the value, and joins the sorted values of a multi-valued attribute with "; "', () => {
    expect(
      annotationPairs(
        [
          { attribute: 'stain', value: 'Hoechst' },
          { attribute: 'stain', value: 'DAPI' },
          { attribute: 'exposure', value: '20', units: 'ms' },
          { attribute: 'stain', value: 'DAPI', units: '' },
        ],
        DEFAULT_RULES,
      ),
    ).toEqual([
      ['exposure', '20 ms'],
      ['stain', 'DAPI; Hoechst'],
    ]);
  });

  it('turns line breaks into spaces (a transaction file line cannot hold one)', () => {
    expect(annotationPairs([{ attribute: 'note', value: 'two\r\nlines\nhere' }], DEFAULT_RULES)).toEqual([['note', 'two lines here']]);
  });

  it('takes only the included prefixes when some are set; the excluded ones and the agent\'s own never', () => {
    const avus = [
      { attribute: 'lab.stain', value: 'DAPI' },
      { attribute: 'lab.omero.x', value: '1' },
      { attribute: 'other', value: '2' },
      { attribute: 'omero.image.name', value: 'a' },
    ];
    expect(annotationPairs(avus, { include: ['lab.'], exclude: ['lab.omero.'] })).toEqual([['lab.stain', 'DAPI']]);
    expect(annotationPairs(avus, { include: [], exclude: [] }).map(([k]) => k)).toEqual(['lab.omero.x', 'lab.stain', 'omero.image.name', 'other']);
    expect(annotationPairs([{ attribute: 'irods_omero_agent::status', value: 'x' }], { include: ['irods_'], exclude: [] })).toEqual([]);
  });

  it('compares pair lists exactly', () => {
    expect(samePairs([['a', '1']], [['a', '1']])).toBe(true);
    expect(samePairs([['a', '1']], [['a', '2']])).toBe(false);
    expect(samePairs([], [['a', '1']])).toBe(false);
  });
});

describe('registrationTargets: where the annotation goes', () => {
  const NS = 'irods_omero_agent::omero_';

  it('an image file: each Image it became', () => {
    expect(
      registrationTargets([
        { attribute: `${NS}image_id`, value: '1203', units: 'image:51' },
        { attribute: `${NS}image_id`, value: '1204', units: 'image:52' },
        { attribute: 'stain', value: '1' },
      ]),
    ).toEqual([
      { type: 'Image', id: '1203' },
      { type: 'Image', id: '1204' },
    ]);
  });

  it('a tree\'s root: its Projects and Screens; Datasets and Plates only without a Project or Screen to hold them', () => {
    const root = [
      { attribute: `${NS}server`, value: 'omero:4064' },
      { attribute: `${NS}project_id`, value: '310' },
      { attribute: `${NS}dataset_id`, value: '311' },
      { attribute: `${NS}plate_id`, value: '400' },
    ];
    expect(registrationTargets(root)).toEqual([
      { type: 'Project', id: '310' },
      { type: 'Plate', id: '400' },
    ]);
    expect(registrationTargets([{ attribute: `${NS}dataset_id`, value: '311' }])).toEqual([{ type: 'Dataset', id: '311' }]);
    expect(registrationTargets([{ attribute: `${NS}mode`, value: 'ln_s' }])).toEqual([]);
  });

  it('ignores ids that are not digits', () => {
    expect(registrationTargets([{ attribute: `${NS}image_id`, value: '12; drop' }])).toEqual([]);
  });
});

describe('brokenRegistrationAvus: what the archive says once its registration broke', () => {
  const change = (over: Partial<RegistrationBreakRow>): RegistrationBreakRow => ({
    id: 1,
    job_id: 'j',
    archive_id: 1,
    event_id: null,
    logical_path: '/tempZone/home/lab/run1/a.tiff',
    entity_type: 'data_object',
    operation: 'removed',
    destination_logical_path: null,
    changed_by: 'rods#tempZone',
    changed_at: new Date('2026-01-02T03:04:05Z'),
    avu_written_at: null,
    avu_error: null,
    cleared_at: null,
    cleared_by_run: null,
    ...over,
  });

  it('a state and a sentence naming the latest change, and how many there were', () => {
    expect(brokenRegistrationAvus([change({})])).toEqual([
      { attribute: 'irods_omero_agent::registration', value: 'broken' },
      {
        attribute: 'irods_omero_agent::registration_error',
        value:
          "OMERO reads this archive's files where iRODS keeps them (registered in place), and /tempZone/home/lab/run1/a.tiff was removed by rods#tempZone at 2026-01-02T03:04:05.000Z: its images in OMERO can no longer be read there. Move the data back, or register the archive again.",
      },
    ]);
    const two = brokenRegistrationAvus([change({}), change({ id: 2, entity_type: 'collection', logical_path: '/tempZone/home/lab', operation: 'renamed', destination_logical_path: '/tempZone/home/lab2' })]);
    expect(two[1]?.value).toContain('the collection /tempZone/home/lab was renamed to /tempZone/home/lab2 by rods#tempZone');
    expect(two[1]?.value).toContain('(2 such changes in all; the archives feed, GET /v1/archives, lists them)');
    expect(brokenRegistrationAvus([])).toEqual([]);
  });
});
