import { describe, expect, it } from 'vitest';
import { planAvuSync, type Avu } from '../../../src/irods/index.js';
import { mapTransferToAvus, OME_AVU_PREFIX, parseTransferXml } from '../../../src/ome/index.js';
import { transferXmlOf } from './fixture-archives.js';

/** What an object carries after applying a plan (as iRODS would: a set of triples). */
function apply(existing: readonly Avu[], plan: ReturnType<typeof planAvuSync>): Avu[] {
  const key = (a: Avu): string => `${a.attribute}\0${a.value}\0${a.units ?? ''}`;
  const removed = new Set(plan.remove.map(key));
  return [...existing.filter((a) => !removed.has(key(a))), ...plan.add];
}

describe('planAvuSync', () => {
  const desired: Avu[] = [
    { attribute: 'omero.image.id', value: '51', units: 'image:51' },
    { attribute: 'omero.tag', value: 'simple_tag', units: 'image:51 annotation:52' },
  ];

  it('adds everything to a bare object', () => {
    expect(planAvuSync([], desired, [OME_AVU_PREFIX])).toEqual({ add: desired, remove: [] });
  });

  it('changes nothing on a replay: applying a plan, then planning again, gives an empty plan', async () => {
    const model = parseTransferXml(await transferXmlOf('simple_screen.zip'), { maxBytes: 1 << 22 });
    for (const target of mapTransferToAvus(model)) {
      const after = apply([], planAvuSync([], target.avus, [OME_AVU_PREFIX]));
      expect(planAvuSync(after, target.avus, [OME_AVU_PREFIX])).toEqual({ add: [], remove: [] });
    }
  });

  it('removes stale AVUs under the owned prefix and never touches users’ own', () => {
    const existing: Avu[] = [
      { attribute: 'omero.image.id', value: '51', units: 'image:51' },
      { attribute: 'omero.tag', value: 'old_tag', units: 'image:51 annotation:7' },
      { attribute: 'project', value: 'my thesis' },
      { attribute: 'omero_notes', value: 'not under "omero."' },
      { attribute: 'irods_omero_agent::status', value: 'done' },
    ];
    expect(planAvuSync(existing, desired, [OME_AVU_PREFIX])).toEqual({
      add: [{ attribute: 'omero.tag', value: 'simple_tag', units: 'image:51 annotation:52' }],
      remove: [{ attribute: 'omero.tag', value: 'old_tag', units: 'image:51 annotation:7' }],
    });
  });

  it('removes nothing when it owns no prefix', () => {
    const existing: Avu[] = [{ attribute: 'omero.tag', value: 'old_tag', units: 'image:51 annotation:7' }];
    expect(planAvuSync(existing, desired, []).remove).toEqual([]);
    expect(planAvuSync(existing, desired, ['']).remove).toEqual([]);
  });

  it('treats empty and absent units as the same AVU, as iRODS reads them back', () => {
    const plan = planAvuSync([{ attribute: 'omero.summary.images', value: '3', units: '' }], [{ attribute: 'omero.summary.images', value: '3' }], [OME_AVU_PREFIX]);
    expect(plan).toEqual({ add: [], remove: [] });
  });

  it('treats a changed value or units as remove-old plus add-new, and plans each triple once', () => {
    const existing: Avu[] = [
      { attribute: 'omero.summary.images', value: '2' },
      { attribute: 'omero.summary.images', value: '2' },
    ];
    const want: Avu[] = [
      { attribute: 'omero.summary.images', value: '3' },
      { attribute: 'omero.summary.images', value: '3' },
    ];
    expect(planAvuSync(existing, want, [OME_AVU_PREFIX])).toEqual({
      add: [{ attribute: 'omero.summary.images', value: '3' }],
      remove: [{ attribute: 'omero.summary.images', value: '2' }],
    });
  });
});
